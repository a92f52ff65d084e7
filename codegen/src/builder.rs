//! The build.rs front end:
//!
//! ```no_run
//! // build.rs
//! psremote_codegen::Builder::new()
//!     .metadata(".psremote/windows.json")
//!     .commands(["Get-Service", "Stop-Service"])
//!     .write_to_out_dir("remote.rs")
//!     .expect("generate remote stubs");
//! ```
//! and in the crate: `mod remote { psremote::include_remote!("remote.rs"); }`.

use std::path::{Path, PathBuf};

use crate::generate::{Options, generate_string};
use crate::metadata::{Catalog, MetadataError};

/// Errors of the build.rs and macro front ends.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no metadata file given: call .metadata(\".psremote/NAME.json\")")]
    NoMetadata,
    #[error("metadata cache {path} not found; create it with `{command}`")]
    Missing { path: String, command: String },
    #[error("{source}; refresh it with `{command}`")]
    Metadata {
        #[source]
        source: MetadataError,
        command: String,
    },
    /// The opt-in live refresh (`PSREMOTE_LIVE_METADATA`) failed.
    #[error("{0}")]
    Live(#[from] crate::live::LiveError),
    #[error("runtime path {0:?} is not a Rust path")]
    RuntimePath(String),
    #[error("OUT_DIR is not set: write_to_out_dir runs from a build script")]
    NoOutDir,
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The command that creates or refreshes a cache file (said in every error about it).
pub fn refresh_command(path: &str) -> String {
    format!("psremote metadata HOST --out {path}")
}

/// Generates stubs from a cached catalog, for build scripts.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    metadata: Option<PathBuf>,
    commands: Vec<String>,
    prefix: Option<String>,
    runtime_path: Option<String>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The cache file, relative to `CARGO_MANIFEST_DIR` unless absolute.
    pub fn metadata(mut self, path: impl AsRef<Path>) -> Builder {
        self.metadata = Some(path.as_ref().to_path_buf());
        self
    }

    /// Only these commands (PowerShell wildcards).
    pub fn commands<I, S>(mut self, names: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.commands = names.into_iter().map(Into::into).collect();
        self
    }

    /// Import-PSSession's `-Prefix` for the generated names.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Builder {
        self.prefix = Some(prefix.into());
        self
    }

    /// The runtime crate's path in the generated code (default `::psremote`).
    pub fn runtime_path(mut self, path: impl Into<String>) -> Builder {
        self.runtime_path = Some(path.into());
        self
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            return path.to_path_buf();
        }
        match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(dir) => Path::new(&dir).join(path),
            None => path.to_path_buf(),
        }
    }

    /// The options this builder stands for.
    pub fn options(&self) -> Result<Options, BuildError> {
        let mut o = Options {
            prefix: self.prefix.clone(),
            commands: self.commands.clone(),
            ..Options::default()
        };
        if let Some(p) = &self.runtime_path {
            o = o
                .with_runtime_path(p)
                .map_err(|_| BuildError::RuntimePath(p.clone()))?;
        }
        Ok(o)
    }

    /// Reads the catalog this builder points at (refreshed from the endpoint first when
    /// `PSREMOTE_LIVE_METADATA` is set, like the macro: see [`crate::live`]).
    pub fn catalog(&self) -> Result<Catalog, BuildError> {
        self.catalog_with_env(&crate::live::process_env)
    }

    /// [`Self::catalog`] with the environment given (tests).
    pub fn catalog_with_env(&self, env: crate::live::Env<'_>) -> Result<Catalog, BuildError> {
        let given = self.metadata.as_ref().ok_or(BuildError::NoMetadata)?;
        let path = self.resolve(given);
        let shown = given.display().to_string();
        crate::live::refresh_from_env(&path, &shown, &self.commands, env)?;
        if !path.is_file() {
            return Err(BuildError::Missing {
                command: refresh_command(&shown),
                path: path.display().to_string(),
            });
        }
        Catalog::read(&path).map_err(|source| BuildError::Metadata {
            source,
            command: refresh_command(&shown),
        })
    }

    /// The generated source.
    pub fn generate(&self) -> Result<String, BuildError> {
        let catalog = self.catalog()?;
        Ok(generate_string(&catalog, &self.options()?))
    }

    /// Writes the generated source to `$OUT_DIR/<file_name>` and tells cargo to rerun when
    /// the cache file changes. Returns the written path.
    pub fn write_to_out_dir(&self, file_name: &str) -> Result<PathBuf, BuildError> {
        let out = std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?;
        if let Some(m) = &self.metadata {
            println!("cargo:rerun-if-changed={}", self.resolve(m).display());
        }
        println!("cargo:rerun-if-env-changed={}", crate::live::LIVE_ENV);
        let code = self.generate()?;
        let path = Path::new(&out).join(file_name);
        std::fs::write(&path, code).map_err(|source| BuildError::Write {
            path: path.display().to_string(),
            source,
        })?;
        Ok(path)
    }
}
