//! The terminal side of an interactive session: line input (rustyline with history on a
//! terminal, plain lines otherwise) and the PSHost that answers the server's host calls
//! (MS-PSRP 2.2.3.17 RemoteHostMethodId) at this terminal.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, OnceLock};

use futures::future::BoxFuture;
use psremote_runtime::clixml::{ObjContent, PsObject, Value};
use psremote_runtime::host::is_void_method;
use psremote_runtime::{Host, HostCall, HostError, Session};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::render::display;
use crate::render::records::{Stream, stream_line};

/// What reading a line gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Ctrl-C at the prompt: the line is dropped.
    Interrupted,
    /// Ctrl-D or end of input.
    Eof,
}

/// Where lines come from.
pub enum Input {
    /// A terminal: line editing and history.
    Editor(Box<DefaultEditor>),
    /// Piped input: one line at a time, the prompt still printed (so a transcript reads
    /// like a session).
    Plain,
}

impl Input {
    /// An editor when stdin and stdout are terminals, plain lines otherwise.
    pub fn new() -> Input {
        if std::io::stdin().is_terminal()
            && std::io::stdout().is_terminal()
            && let Ok(mut ed) = DefaultEditor::new()
        {
            if let Some(path) = history_path() {
                let _ = ed.load_history(&path);
            }
            return Input::Editor(Box::new(ed));
        }
        Input::Plain
    }

    /// Reads a line after `prompt`.
    pub fn read_line(&mut self, prompt: &str) -> std::io::Result<Line> {
        match self {
            Input::Editor(ed) => match ed.readline(prompt) {
                Ok(l) => Ok(Line::Text(l)),
                Err(ReadlineError::Interrupted) => Ok(Line::Interrupted),
                Err(ReadlineError::Eof) => Ok(Line::Eof),
                Err(ReadlineError::Io(e)) => Err(e),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            },
            Input::Plain => {
                let mut out = std::io::stdout();
                out.write_all(prompt.as_bytes())?;
                out.flush()?;
                Ok(match crate::conn::read_stdin_line()? {
                    Some(l) => Line::Text(l),
                    None => Line::Eof,
                })
            }
        }
    }

    /// Reads a line without echo (SecureString prompts).
    pub fn read_secret(&mut self, prompt: &str) -> std::io::Result<Line> {
        match self {
            Input::Editor(_) => {
                let term = console::Term::stdout();
                term.write_str(prompt)?;
                match term.read_secure_line() {
                    Ok(l) => Ok(Line::Text(l)),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(Line::Interrupted),
                    Err(e) => Err(e),
                }
            }
            Input::Plain => self.read_line(prompt),
        }
    }

    pub fn add_history(&mut self, line: &str) {
        if let Input::Editor(ed) = self {
            let _ = ed.add_history_entry(line);
        }
    }

    pub fn save_history(&mut self) {
        if let (Input::Editor(ed), Some(path)) = (self, history_path()) {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = ed.save_history(&path);
        }
    }
}

fn history_path() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
        })?;
    Some(base.join("psremote").join("history"))
}

/// The PSHost of `psremote enter`: writes go to the terminal, reads and prompts ask the user.
pub struct ConsoleHost {
    pub input: Arc<Mutex<Input>>,
    pub instance_id: uuid::Uuid,
    /// The session this host serves, set once it is open: SecureStrings are encrypted with
    /// its session key.
    pub session: Arc<OnceLock<Session>>,
}

fn arg(call: &HostCall, i: usize) -> Option<&Value> {
    call.parameters.get(i)
}

fn arg_text(call: &HostCall, i: usize) -> String {
    arg(call, i).map(display::scalar).unwrap_or_default()
}

/// Typed secrets waiting to be encrypted. In the answer each stands as an empty `<SS>`
/// placeholder, replaced in order by the session-key encrypted value before the answer is
/// sent (MS-PSRP 2.2.5.1.24, 3.1.4.7): the plain text never goes on the wire.
#[derive(Default)]
pub struct Secrets(Vec<Zeroizing<String>>);

impl Secrets {
    fn placeholder(&mut self, plain: String) -> Value {
        self.0.push(Zeroizing::new(plain));
        Value::SecureString(Vec::new())
    }
}

/// Replaces the `<SS>` placeholders of `v`, depth first in wire order, from `encrypted`.
fn fill_secrets(v: Value, encrypted: &mut std::vec::IntoIter<Value>) -> Value {
    match v {
        Value::SecureString(b) if b.is_empty() => encrypted.next().unwrap_or(Value::Null),
        Value::Object(o) => {
            let mut o = Arc::unwrap_or_clone(o);
            for p in o.adapted.iter_mut().chain(o.extended.iter_mut()) {
                p.value = fill_secrets(std::mem::replace(&mut p.value, Value::Null), encrypted);
            }
            if let ObjContent::Dict(entries) = &mut o.content {
                for (_, val) in entries.iter_mut() {
                    *val = fill_secrets(std::mem::replace(val, Value::Null), encrypted);
                }
            }
            Value::object(o)
        }
        other => other,
    }
}

fn list_items(v: Option<&Value>) -> Vec<Value> {
    match v.and_then(Value::as_object).map(|o| &o.content) {
        Some(ObjContent::List(_, items)) => items.clone(),
        _ => Vec::new(),
    }
}

fn prop_text(v: &Value, name: &str) -> String {
    v.as_object()
        .and_then(|o| o.get(name))
        .map(display::scalar)
        .unwrap_or_default()
}

impl ConsoleHost {
    fn read(&self, prompt: &str, secret: bool) -> Result<String, HostError> {
        let mut input = self
            .input
            .lock()
            .map_err(|_| HostError::new("the terminal is not available"))?;
        let r = if secret {
            input.read_secret(prompt)
        } else {
            input.read_line(prompt)
        };
        match r {
            Ok(Line::Text(t)) => Ok(t),
            // PowerShell stops the pipeline when the user presses Ctrl-C in Read-Host.
            Ok(Line::Interrupted) => Err(HostError::new("The operation was canceled by the user.")),
            Ok(Line::Eof) => Err(HostError::new("end of input while reading from the host")),
            Err(e) => Err(HostError::new(format!(
                "cannot read from the terminal: {e}"
            ))),
        }
    }

    /// Answers one call, blocking (runs on a blocking thread).
    fn answer(&self, call: &HostCall, secrets: &mut Secrets) -> Result<Option<Value>, HostError> {
        let out = |s: &str, newline: bool| {
            let mut o = std::io::stdout();
            let _ = o.write_all(s.as_bytes());
            if newline {
                let _ = o.write_all(b"\n");
            }
            let _ = o.flush();
        };
        match call.method_id {
            1 => Ok(Some(Value::String("psremote".into()))),
            2 => Ok(Some(Value::Version(
                psremote_runtime::clixml::Version::new(0, 1),
            ))),
            3 => Ok(Some(Value::Guid(self.instance_id))),
            // Write1 (value) / Write2 (fg, bg, value).
            13 => {
                out(&arg_text(call, 0), false);
                Ok(None)
            }
            14 => {
                out(&arg_text(call, 2), false);
                Ok(None)
            }
            // WriteLine1 / WriteLine2 (value) / WriteLine3 (fg, bg, value).
            15 => {
                out("", true);
                Ok(None)
            }
            16 => {
                out(&arg_text(call, 0), true);
                Ok(None)
            }
            17 => {
                out(&arg_text(call, 2), true);
                Ok(None)
            }
            18 => {
                eprintln!("{}", arg_text(call, 0));
                Ok(None)
            }
            19 => {
                eprintln!("{}", stream_line(Stream::Debug, &arg_text(call, 0), None));
                Ok(None)
            }
            21 => {
                eprintln!("{}", stream_line(Stream::Verbose, &arg_text(call, 0), None));
                Ok(None)
            }
            22 => {
                eprintln!("{}", stream_line(Stream::Warning, &arg_text(call, 0), None));
                Ok(None)
            }
            // ReadLine / ReadLineAsSecureString.
            11 => self.read("", false).map(|s| Some(Value::String(s))),
            12 => self.read("", true).map(|s| Some(secrets.placeholder(s))),
            // Prompt(caption, message, descriptions) → Dictionary<string, PSObject>
            // (what Read-Host -Prompt uses).
            23 => {
                let caption = arg_text(call, 0);
                let message = arg_text(call, 1);
                if !caption.is_empty() {
                    out(&caption, true);
                }
                if !message.is_empty() {
                    out(&message, true);
                }
                let mut entries = Vec::new();
                for fd in list_items(arg(call, 2)) {
                    let name = prop_text(&fd, "Name");
                    let label = match prop_text(&fd, "Label") {
                        l if l.is_empty() => name.clone(),
                        l => l,
                    };
                    let ty = prop_text(&fd, "ParameterTypeFullName");
                    let secret = ty.ends_with("SecureString");
                    let text = self.read(&format!("{label}: "), secret)?;
                    let value = if secret {
                        secrets.placeholder(text)
                    } else {
                        Value::String(text)
                    };
                    entries.push((Value::String(name), value));
                }
                Ok(Some(psremote_runtime::clixml::hashtable(entries)))
            }
            // PromptForCredential(caption, message, userName, targetName, …) → PSCredential.
            24 | 25 => {
                let caption = arg_text(call, 0);
                let message = arg_text(call, 1);
                if !caption.is_empty() {
                    out(&caption, true);
                }
                if !message.is_empty() {
                    out(&message, true);
                }
                let mut user = arg_text(call, 2);
                if user.is_empty() {
                    user = self.read("User: ", false)?;
                }
                let password = self.read(&format!("Password for user {user}: "), true)?;
                let cred = PsObject::with_type_names([
                    "System.Management.Automation.PSCredential",
                    "System.Object",
                ])
                .with_adapted("UserName", Value::String(user))
                .with_adapted("Password", secrets.placeholder(password));
                Ok(Some(Value::object(cred)))
            }
            // PromptForChoice(caption, message, choices, defaultChoice) → index.
            26 => {
                let caption = arg_text(call, 0);
                let message = arg_text(call, 1);
                let choices = list_items(arg(call, 2));
                let default = match arg(call, 3) {
                    Some(Value::I32(n)) => *n,
                    _ => -1,
                };
                if !caption.is_empty() {
                    out(&caption, true);
                }
                if !message.is_empty() {
                    out(&message, true);
                }
                let labels: Vec<String> = choices.iter().map(|c| prop_text(c, "Label")).collect();
                // `&Yes` → hot key Y, shown as `[Y] Yes`.
                let keys: Vec<(String, String)> = labels
                    .iter()
                    .map(|l| match l.find('&') {
                        Some(i) => {
                            let key: String = l[i + 1..].chars().take(1).collect();
                            (key.to_uppercase(), l.replacen('&', "", 1))
                        }
                        None => (l.clone(), l.clone()),
                    })
                    .collect();
                let menu: Vec<String> = keys.iter().map(|(k, l)| format!("[{k}] {l}")).collect();
                let default_label = usize::try_from(default)
                    .ok()
                    .and_then(|d| keys.get(d))
                    .map(|(k, _)| format!(" (default is \"{k}\")"))
                    .unwrap_or_default();
                loop {
                    let answer =
                        self.read(&format!("{}{default_label}: ", menu.join("  ")), false)?;
                    let a = answer.trim();
                    if a.is_empty() && default >= 0 {
                        return Ok(Some(Value::I32(default)));
                    }
                    if let Some(i) = keys
                        .iter()
                        .position(|(k, l)| k.eq_ignore_ascii_case(a) || l.eq_ignore_ascii_case(a))
                    {
                        return Ok(Some(Value::I32(i32::try_from(i).unwrap_or(0))));
                    }
                }
            }
            m if is_void_method(m) => Ok(None),
            _ => Err(HostError::new(format!(
                "the psremote host does not implement {}",
                call.method_name
            ))),
        }
    }
}

impl Host for ConsoleHost {
    fn call(&self, call: HostCall) -> BoxFuture<'static, Result<Option<Value>, HostError>> {
        let host = ConsoleHost {
            input: self.input.clone(),
            instance_id: self.instance_id,
            session: self.session.clone(),
        };
        Box::pin(async move {
            let session = host.session.clone();
            let (answer, secrets) = tokio::task::spawn_blocking(move || {
                let mut secrets = Secrets::default();
                let answer = host.answer(&call, &mut secrets);
                (answer, secrets)
            })
            .await
            .map_err(|e| HostError::new(format!("host call failed: {e}")))?;
            let answer = answer?;
            if secrets.0.is_empty() {
                return Ok(answer);
            }
            let Some(session) = session.get() else {
                return Err(HostError::new(
                    "no session to encrypt the SecureString with",
                ));
            };
            let mut encrypted = Vec::with_capacity(secrets.0.len());
            for plain in &secrets.0 {
                let secret = SecretString::from(plain.as_str().to_owned());
                let v = session
                    .secure_string(&secret)
                    .await
                    .map_err(|e| HostError::new(format!("cannot encrypt the SecureString: {e}")))?;
                encrypted.push(v);
            }
            Ok(answer.map(|v| fill_secrets(v, &mut encrypted.into_iter())))
        })
    }

    fn is_interactive(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_placeholders_are_filled_in_order() {
        let mut secrets = Secrets::default();
        let cred = PsObject::with_type_names(["System.Management.Automation.PSCredential"])
            .with_adapted("UserName", Value::String("u".into()))
            .with_adapted("Password", secrets.placeholder("pw".into()));
        let dict = psremote_runtime::clixml::hashtable(vec![
            (Value::String("a".into()), secrets.placeholder("one".into())),
            (Value::String("b".into()), Value::object(cred)),
        ]);
        assert_eq!(secrets.0.len(), 2);
        let filled = fill_secrets(
            dict,
            &mut vec![Value::SecureString(vec![1]), Value::SecureString(vec![2])].into_iter(),
        );
        let Some(ObjContent::Dict(entries)) = filled.as_object().map(|o| o.content.clone()) else {
            panic!("not a dictionary");
        };
        assert_eq!(entries[0].1, Value::SecureString(vec![1]));
        assert_eq!(
            entries[1].1.as_object().and_then(|o| o.get("Password")),
            Some(&Value::SecureString(vec![2]))
        );
    }

    #[test]
    fn writes_and_unknown_methods() {
        let host = ConsoleHost {
            input: Arc::new(Mutex::new(Input::Plain)),
            instance_id: uuid::Uuid::nil(),
            session: Arc::new(OnceLock::new()),
        };
        let call = |id: i32, name: &str, params: Vec<Value>| HostCall {
            call_id: 1,
            method_id: id,
            method_name: name.into(),
            parameters: params,
            pipeline: None,
        };
        assert_eq!(
            host.answer(&call(15, "WriteLine1", vec![]), &mut Secrets::default()),
            Ok(None)
        );
        assert_eq!(
            host.answer(&call(1, "GetName", vec![]), &mut Secrets::default()),
            Ok(Some(Value::String("psremote".into())))
        );
        assert!(
            host.answer(&call(46, "ReadKey", vec![]), &mut Secrets::default())
                .is_err()
        );
    }
}
