//! Metadata from a live endpoint: [`fetch`] reads a session's catalog (`psremote metadata`,
//! `psremote export`), and [`refresh_from_env`] is the opt-in refresh the `#[remote_commands]`
//! macro and the build.rs [`Builder`](crate::Builder) run when [`LIVE_ENV`] is set, so all
//! front ends stay one generator reading one cache.
//!
//! Builds read only the cache by default. With `PSREMOTE_LIVE_METADATA=1` they connect to the
//! endpoint named by [`URL_ENV`] (credentials from [`USER_ENV`] / [`PASSWORD_ENV`], Basic over
//! HTTP only with [`ALLOW_UNENCRYPTED_ENV`], like the examples), read its catalog and rewrite the
//! cache when it changed. The network part is the `live` cargo feature; without it the request
//! is a clear error, never a silent offline build.

use std::path::Path;
use std::time::Duration;

use crate::builder::refresh_command;
use crate::metadata::MetadataError;

/// Set (to anything but `0` or empty) to refresh caches from the endpoint at build time.
pub const LIVE_ENV: &str = "PSREMOTE_LIVE_METADATA";
/// The endpoint: a computer name or a WS-Man URL (`http://host:5985/wsman`).
pub const URL_ENV: &str = "PSREMOTE_URL";
pub const USER_ENV: &str = "PSREMOTE_USER";
pub const PASSWORD_ENV: &str = "PSREMOTE_PASSWORD";
/// Basic over plain HTTP (WinRM's AllowUnencrypted); otherwise Negotiate with encryption.
pub const ALLOW_UNENCRYPTED_ENV: &str = "PSREMOTE_ALLOW_UNENCRYPTED";
/// The session configuration (`-ConfigurationName`), default `Microsoft.PowerShell`.
pub const CONFIGURATION_ENV: &str = "PSREMOTE_CONFIGURATION_NAME";
/// Seconds the whole fetch may take (default [`DEFAULT_TIMEOUT`]).
pub const TIMEOUT_ENV: &str = "PSREMOTE_LIVE_TIMEOUT";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether this build of psremote-codegen can fetch (the `live` feature).
pub const ENABLED: bool = cfg!(feature = "live");

/// An environment lookup (`std::env::var` in builds; a map in tests, which must not mutate
/// the process environment).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Whether [`LIVE_ENV`] asks for a live fetch.
pub fn requested(env: Env<'_>) -> bool {
    env(LIVE_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Where and how to connect for a live fetch.
#[derive(Clone)]
pub struct LiveSettings {
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub allow_unencrypted: bool,
    pub configuration_name: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for LiveSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSettings")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("allow_unencrypted", &self.allow_unencrypted)
            .field("configuration_name", &self.configuration_name)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl LiveSettings {
    /// The settings from [`URL_ENV`] and friends.
    pub fn from_env(env: Env<'_>) -> Result<LiveSettings, LiveError> {
        let set = |k: &str| env(k).filter(|v| !v.is_empty());
        let url = set(URL_ENV).ok_or(LiveError::NoEndpoint)?;
        let timeout = match set(TIMEOUT_ENV) {
            None => DEFAULT_TIMEOUT,
            Some(t) => t
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
                .ok_or(LiveError::BadTimeout(t))?,
        };
        Ok(LiveSettings {
            url,
            user: set(USER_ENV),
            password: env(PASSWORD_ENV),
            allow_unencrypted: set(ALLOW_UNENCRYPTED_ENV).is_some_and(|v| v != "0"),
            configuration_name: set(CONFIGURATION_ENV),
            timeout,
        })
    }
}

/// Why a live refresh failed; every message says how to get going again.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "{LIVE_ENV} is set but psremote-codegen was built without the `live` feature: enable it \
         (`psremote = {{ features = [\"live\"] }}`, or `psremote-macros` / `psremote-codegen` \
         with `features = [\"live\"]`), or unset {LIVE_ENV} and refresh the cache with `{command}`"
    )]
    FeatureMissing { command: String },
    #[error(
        "{LIVE_ENV} is set but {URL_ENV} is not: set it to the endpoint (a computer name or http://HOST:5985/wsman)"
    )]
    NoEndpoint,
    #[error("{TIMEOUT_ENV}={0:?} is not a number of seconds")]
    BadTimeout(String),
    #[error(
        "live metadata from {url}: no answer within {secs}s (raise {TIMEOUT_ENV}, or unset {LIVE_ENV} to build from the cache)"
    )]
    Timeout { url: String, secs: u64 },
    #[error("live metadata from {url}: {message} (unset {LIVE_ENV} to build from the cache)")]
    Remote { url: String, message: String },
    #[error("cannot start the fetch: {0}")]
    Runtime(String),
    #[error("writing the refreshed cache: {0}")]
    Write(#[source] MetadataError),
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// The cache file was created or rewritten.
    Written,
    /// The live catalog equals the cache: the file was left alone (so its mtime does not
    /// trigger another rebuild).
    Unchanged,
}

/// The macro's and the Builder's live step: when [`LIVE_ENV`] is set, fetch the catalog from
/// the endpoint and refresh the cache at `path` (shown to users as `shown`), keeping its scope
/// (see [`refresh`]) plus the front end's `commands` patterns. `Ok(None)` when no live fetch
/// was asked for. Each cache and scope is fetched once per process (a crate with several
/// attributes on one cache connects once).
pub fn refresh_from_env(
    path: &Path,
    shown: &str,
    commands: &[String],
    env: Env<'_>,
) -> Result<Option<Refreshed>, LiveError> {
    if !requested(env) {
        return Ok(None);
    }
    #[cfg(not(feature = "live"))]
    {
        let _ = (path, commands);
        Err(feature_missing(shown))
    }
    #[cfg(feature = "live")]
    {
        use std::collections::BTreeSet;
        use std::sync::Mutex;
        let _ = shown;
        let settings = LiveSettings::from_env(env)?;
        type Key = (std::path::PathBuf, Vec<String>);
        static DONE: Mutex<BTreeSet<Key>> = Mutex::new(BTreeSet::new());
        let mut scope = commands.to_vec();
        scope.sort();
        let key = (
            path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
            scope,
        );
        let mut done = DONE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if done.contains(&key) {
            return Ok(Some(Refreshed::Unchanged));
        }
        let r = refresh(&settings, path, commands)?;
        done.insert(key);
        Ok(Some(r))
    }
}

/// The error a build without the `live` feature gives when [`LIVE_ENV`] is set.
pub fn feature_missing(shown: &str) -> LiveError {
    LiveError::FeatureMissing {
        command: refresh_command(shown),
    }
}

#[cfg(feature = "live")]
pub use enabled::*;

#[cfg(feature = "live")]
mod enabled {
    use std::path::Path;

    use psremote_clixml::{ObjContent, Value};
    use psremote_runtime::{AuthMethod, ConnectionInfo, Session, Target};

    use super::{LiveError, LiveSettings, Refreshed};
    use crate::filter::Filter;
    use crate::metadata::Catalog;

    /// Where a catalog is read from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum SourceChoice {
        /// The discovery script; GET_COMMAND_METADATA when the endpoint refuses scripts.
        #[default]
        Auto,
        Discovery,
        /// GET_COMMAND_METADATA (MS-PSRP 2.2.2.14): works on NoLanguage / JEA endpoints.
        Protocol,
    }

    /// A catalog read from a session.
    #[derive(Debug, Clone)]
    pub struct Fetched {
        /// Unfiltered, with the endpoint, configuration and PSVersion filled in.
        pub catalog: Catalog,
        /// Why [`SourceChoice::Auto`] fell back to GET_COMMAND_METADATA, if it did.
        pub fell_back: Option<String>,
    }

    #[derive(Debug, thiserror::Error)]
    pub enum FetchError {
        #[error(transparent)]
        Remote(psremote_runtime::Error),
        /// The endpoint answered with something that is not a catalog.
        #[error("{0}")]
        Invalid(String),
    }

    /// Reads the catalog from a live session: the discovery script, or GET_COMMAND_METADATA
    /// (for `names`, wildcards allowed) when asked for or when the endpoint refuses scripts.
    pub async fn fetch(
        session: &Session,
        source: SourceChoice,
        names: &[&str],
    ) -> Result<Fetched, FetchError> {
        let mut fell_back = None;
        let mut catalog = match source {
            SourceChoice::Protocol => protocol(session, names).await?,
            SourceChoice::Discovery => discovery(session).await?,
            SourceChoice::Auto => match discovery(session).await {
                Ok(c) => c,
                Err(FetchError::Remote(psremote_runtime::Error::PipelineFailed(rec))) => {
                    let fqid = rec.fully_qualified_error_id().unwrap_or_default();
                    fell_back = Some(if fqid.is_empty() {
                        rec.message().to_string()
                    } else {
                        fqid.to_string()
                    });
                    protocol(session, names).await?
                }
                Err(e) => return Err(e),
            },
        };
        let info = session.connection_info();
        catalog.endpoint = Some(match &info.target {
            Target::Wsman { url } => url.clone(),
            _ => info.computer_name.clone(),
        });
        catalog.configuration_name = Some(info.configuration_name.clone());
        catalog.ps_version = ps_version(session.application_private_data());
        Ok(Fetched { catalog, fell_back })
    }

    async fn discovery(session: &Session) -> Result<Catalog, FetchError> {
        let lines = session
            .run_script_collect_strings(crate::DISCOVERY_SCRIPT)
            .await
            .map_err(FetchError::Remote)?;
        Catalog::from_discovery(lines)
            .map_err(|e| FetchError::Invalid(format!("the discovery output is not valid: {e}")))
    }

    async fn protocol(session: &Session, names: &[&str]) -> Result<Catalog, FetchError> {
        let values = session
            .get_command_metadata(names)
            .await
            .map_err(FetchError::Remote)?;
        crate::protocol::from_values(&values).map_err(|e| {
            FetchError::Invalid(format!("the GET_COMMAND_METADATA reply is not valid: {e}"))
        })
    }

    /// `$PSVersionTable.PSVersion` from APPLICATION_PRIVATE_DATA (MS-PSRP 2.2.2.13: a
    /// PSPrimitiveDictionary holding `PSVersionTable`).
    pub fn ps_version(apd: Option<&Value>) -> Option<String> {
        fn lookup<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
            match &v.as_object()?.content {
                ObjContent::Dict(entries) => entries
                    .iter()
                    .find(|(k, _)| k.as_str().is_some_and(|s| s.eq_ignore_ascii_case(key)))
                    .map(|(_, v)| v),
                _ => v.as_object()?.get(key),
            }
        }
        let apd = apd?;
        let table = lookup(apd, "PSVersionTable").or_else(|| {
            // Some servers nest it one level down (ApplicationPrivateData → dictionary).
            match &apd.as_object()?.content {
                ObjContent::Dict(entries) => entries
                    .iter()
                    .find_map(|(_, v)| lookup(v, "PSVersionTable")),
                _ => None,
            }
        })?;
        match lookup(table, "PSVersion")? {
            Value::Version(v) => {
                let mut s = format!("{}.{}", v.major, v.minor);
                if let Some(b) = v.build {
                    s.push_str(&format!(".{b}"));
                    if let Some(r) = v.revision {
                        s.push_str(&format!(".{r}"));
                    }
                }
                Some(s)
            }
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    impl LiveSettings {
        /// The runtime's connection settings.
        pub fn connection_info(&self) -> ConnectionInfo {
            let mut info = ConnectionInfo::new(&self.url);
            if let Some(user) = &self.user {
                info = info.credentials(user.clone(), self.password.clone().unwrap_or_default());
            }
            if self.allow_unencrypted {
                info = info.auth(AuthMethod::Basic).allow_unencrypted(true);
            }
            if let Some(c) = &self.configuration_name {
                info = info.configuration_name(c.clone());
            }
            info
        }
    }

    /// Connects, reads the catalog as `psremote metadata` does (Import-PSSession's default
    /// skip list applied), closes, and writes it to `path` unless the file already holds
    /// exactly that catalog. Blocking, with the settings' timeout: a build runs this (proc
    /// macros and build scripts are synchronous), on a current-thread runtime of its own.
    ///
    /// The scope: the commands the cache already has (a cache made with `psremote metadata
    /// --name …` stays that small) plus `commands` (wildcards); everything when there is no
    /// cache yet and no `commands`.
    pub fn refresh(
        settings: &LiveSettings,
        path: &Path,
        commands: &[String],
    ) -> Result<Refreshed, LiveError> {
        let mut names: Vec<String> = commands.to_vec();
        if let Ok(cached) = Catalog::read(path) {
            names.extend(cached.commands.into_iter().map(|c| c.name));
        }
        names.sort_by_key(|n| n.to_ascii_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let protocol_names: Vec<&str> = if names.is_empty() {
            vec!["*"]
        } else {
            names.iter().map(String::as_str).collect()
        };
        let url = settings.url.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LiveError::Runtime(e.to_string()))?;
        let remote = |message: String| LiveError::Remote {
            url: url.clone(),
            message,
        };
        let fetched = rt.block_on(async {
            let work = async {
                let session = Session::connect(settings.connection_info())
                    .await
                    .map_err(|e| remote(e.to_string()))?;
                let r = fetch(&session, SourceChoice::Auto, &protocol_names).await;
                let _ = session.close().await;
                r.map_err(|e| remote(e.to_string()))
            };
            tokio::time::timeout(settings.timeout, work)
                .await
                .map_err(|_| LiveError::Timeout {
                    url: url.clone(),
                    secs: settings.timeout.as_secs(),
                })?
        })?;
        // Dropping the runtime ends whatever the session left running.
        drop(rt);
        let filter = Filter {
            names,
            ..Filter::default()
        };
        let (mut chosen, _skipped) = filter.apply(&fetched.catalog);
        chosen.normalize();
        let unchanged = std::fs::read_to_string(path).is_ok_and(|old| old == chosen.to_json());
        if unchanged {
            return Ok(Refreshed::Unchanged);
        }
        chosen.write(path).map_err(LiveError::Write)?;
        Ok(Refreshed::Written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn requested_only_by_a_non_zero_value() {
        assert!(!requested(&env(&[])));
        assert!(!requested(&env(&[(LIVE_ENV, "")])));
        assert!(!requested(&env(&[(LIVE_ENV, "0")])));
        assert!(requested(&env(&[(LIVE_ENV, "1")])));
        assert!(requested(&env(&[(LIVE_ENV, "yes")])));
    }

    #[test]
    fn settings_from_env_and_their_errors() {
        let s = LiveSettings::from_env(&env(&[
            (URL_ENV, "http://h:5985/wsman"),
            (USER_ENV, "u"),
            (PASSWORD_ENV, "secret"),
            (ALLOW_UNENCRYPTED_ENV, "1"),
            (TIMEOUT_ENV, "7"),
        ]))
        .expect("settings");
        assert_eq!(s.url, "http://h:5985/wsman");
        assert!(s.allow_unencrypted);
        assert_eq!(s.timeout, Duration::from_secs(7));
        assert!(!format!("{s:?}").contains("secret"), "password redacted");
        let d = LiveSettings::from_env(&env(&[(URL_ENV, "h")])).expect("defaults");
        assert_eq!(d.timeout, DEFAULT_TIMEOUT);
        assert!(!d.allow_unencrypted);
        assert!(matches!(
            LiveSettings::from_env(&env(&[])),
            Err(LiveError::NoEndpoint)
        ));
        let e = LiveSettings::from_env(&env(&[(URL_ENV, "h"), (TIMEOUT_ENV, "soon")]))
            .expect_err("bad timeout");
        assert!(
            e.to_string().contains("PSREMOTE_LIVE_TIMEOUT=\"soon\""),
            "{e}"
        );
    }

    #[test]
    fn feature_missing_says_what_to_do() {
        let m = feature_missing(".psremote/w.json").to_string();
        assert!(m.contains("without the `live` feature"), "{m}");
        assert!(m.contains("features = [\"live\"]"), "{m}");
        assert!(
            m.contains("psremote metadata HOST --out .psremote/w.json"),
            "{m}"
        );
    }
}
