//! What generated implicit-remoting stubs call (psremote-codegen's output).
//!
//! A generated builder holds a [`Call`]: the command name, its named parameters (MS-PSRP
//! 2.2.3.12 `Args`) and its pipeline input. Running it hands a [`PowerShell`] of that one
//! [`Command`] to the session through the [`Invoker`] trait, so the stubs run the same on a
//! live `Session` or on connection settings that connect (and reconnect) on first use, the way
//! PowerShell's implicit-remoting module finds its session. A stub never builds script text.
//!
//! Everything the generated code names is re-exported here, so it needs only
//! `use <runtime>::implicit as __rt;`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use secrecy::SecretString;

pub use psremote_clixml::{
    ConversionError, DateTime, Decimal, Duration, FromValue, ObjContent, Property, PsObject,
    ToValue, Value, Version,
};
pub use psremote_psrp::{Command, PowerShell};
pub use uuid::Uuid;

pub use crate::record::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};

/// A received object, shared (a `<Ref>` to it costs nothing).
pub type Object = Arc<PsObject>;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A boxed, sendable stream.
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = T> + Send + 'a>>;

/// One record of a running command: its output (decoded as `T`) or one of the other streams.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<T> {
    Output(T),
    Error(ErrorRecord),
    Warning(InformationalRecord),
    Verbose(InformationalRecord),
    Debug(InformationalRecord),
    Information(InformationRecord),
    Progress(ProgressRecord),
}

/// What `.stream()` on a generated builder returns.
pub type EventStream<T> = BoxStream<'static, Result<Event<T>, Error>>;

/// The errors of a generated call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The session failed, or the pipeline failed on the server (`PipelineFailed` carries the
    /// remote ErrorRecord).
    #[error(transparent)]
    Session(#[from] crate::Error),
    /// An output object could not be decoded as the declared output type.
    #[error("{command}: output #{index}: {source}")]
    Decode {
        command: String,
        index: usize,
        #[source]
        source: ConversionError,
    },
}

/// Runs pipelines for generated stubs. Implemented by the session layer for a live `Session`
/// and for lazy connection settings (connect on first call, reconnect a Disconnected shell,
/// recreate a Broken one).
pub trait Invoker: Send + Sync + 'static {
    /// Runs `pipeline` with `input` as pipeline input (none when empty) and collects the
    /// output; a Failed pipeline is `Err(Error::PipelineFailed)`.
    fn invoke(
        &self,
        pipeline: PowerShell,
        input: Vec<Value>,
    ) -> BoxFuture<'_, Result<Vec<Value>, crate::Error>>;

    /// Runs `pipeline` and yields every record as it arrives.
    fn stream(
        &self,
        pipeline: PowerShell,
        input: Vec<Value>,
    ) -> BoxStream<'static, Result<Event<Value>, crate::Error>>;

    /// Encrypts a SecureString for this session (MS-PSRP 2.2.5.1.24: AES with the session key,
    /// exchanged first if needed) and returns the `<SS>` value.
    fn secure_string<'a>(
        &'a self,
        plain: &'a SecretString,
    ) -> BoxFuture<'a, Result<Value, crate::Error>> {
        let _ = plain;
        Box::pin(async {
            Err(crate::Error::Unsupported(
                "SecureString parameters on this session",
            ))
        })
    }
}

/// The session generated stubs run on: a shared [`Invoker`].
#[derive(Clone)]
pub struct ImplicitSession {
    invoker: Arc<dyn Invoker>,
}

impl ImplicitSession {
    pub fn new(invoker: impl Invoker) -> ImplicitSession {
        ImplicitSession {
            invoker: Arc::new(invoker),
        }
    }

    pub fn invoker(&self) -> &Arc<dyn Invoker> {
        &self.invoker
    }
}

impl From<Arc<dyn Invoker>> for ImplicitSession {
    fn from(invoker: Arc<dyn Invoker>) -> ImplicitSession {
        ImplicitSession { invoker }
    }
}

/// Any invoker (a live `Session`, a `LazySession`) is a session stubs can run on, so
/// `Remote::new(session)` works.
impl<I: Invoker> From<I> for ImplicitSession {
    fn from(invoker: I) -> ImplicitSession {
        ImplicitSession::new(invoker)
    }
}

impl fmt::Debug for ImplicitSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImplicitSession").finish_non_exhaustive()
    }
}

/// A `System.Security.SecureString` argument; sent encrypted with the session key.
#[derive(Clone)]
pub struct SecureString(pub SecretString);

impl fmt::Debug for SecureString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecureString(***)")
    }
}

impl From<SecretString> for SecureString {
    fn from(s: SecretString) -> SecureString {
        SecureString(s)
    }
}

impl From<String> for SecureString {
    fn from(s: String) -> SecureString {
        SecureString(SecretString::from(s))
    }
}

/// A `System.Management.Automation.PSCredential`: user name and a password sent as a
/// SecureString.
#[derive(Clone)]
pub struct PsCredential {
    pub user_name: String,
    pub password: SecretString,
}

impl PsCredential {
    pub fn new(user_name: impl Into<String>, password: impl Into<SecretString>) -> PsCredential {
        PsCredential {
            user_name: user_name.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for PsCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PsCredential")
            .field("user_name", &self.user_name)
            .field("password", &"***")
            .finish()
    }
}

/// A `System.Uri` (`<URI>`, MS-PSRP 2.2.5.1.19).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uri(pub String);

impl From<&str> for Uri {
    fn from(s: &str) -> Uri {
        Uri(s.to_owned())
    }
}
impl From<String> for Uri {
    fn from(s: String) -> Uri {
        Uri(s)
    }
}
impl ToValue for Uri {
    fn to_value(&self) -> Value {
        Value::Uri(self.0.clone())
    }
}
impl FromValue for Uri {
    fn from_value(v: &Value) -> Result<Uri, ConversionError> {
        String::from_value(v).map(Uri)
    }
}

/// A `System.Management.Automation.ScriptBlock` argument (`<SBK>`, MS-PSRP 2.2.5.1.23).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScriptBlock(pub String);

impl ScriptBlock {
    pub fn new(text: impl Into<String>) -> ScriptBlock {
        ScriptBlock(text.into())
    }
}
impl From<&str> for ScriptBlock {
    fn from(s: &str) -> ScriptBlock {
        ScriptBlock(s.to_owned())
    }
}
impl From<String> for ScriptBlock {
    fn from(s: String) -> ScriptBlock {
        ScriptBlock(s)
    }
}
impl ToValue for ScriptBlock {
    fn to_value(&self) -> Value {
        Value::ScriptBlock(self.0.clone())
    }
}
impl FromValue for ScriptBlock {
    fn from_value(v: &Value) -> Result<ScriptBlock, ConversionError> {
        match v.primitive() {
            Value::ScriptBlock(s) | Value::String(s) => Ok(ScriptBlock(s.clone())),
            other => Err(ConversionError::Type {
                expected: "<SBK>",
                found: format!("{other:?}"),
            }),
        }
    }
}

/// A `byte[]` (`<BA>`, MS-PSRP 2.2.5.1.17).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl From<Vec<u8>> for Bytes {
    fn from(b: Vec<u8>) -> Bytes {
        Bytes(b)
    }
}
impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Bytes {
        Bytes(b.to_vec())
    }
}
impl ToValue for Bytes {
    fn to_value(&self) -> Value {
        Value::Bytes(self.0.clone())
    }
}
impl FromValue for Bytes {
    fn from_value(v: &Value) -> Result<Bytes, ConversionError> {
        match v.primitive() {
            Value::Bytes(b) => Ok(Bytes(b.clone())),
            other => Err(ConversionError::Type {
                expected: "<BA>",
                found: format!("{other:?}"),
            }),
        }
    }
}

/// A `Hashtable` argument (`<DCT>`, MS-PSRP 2.2.5.2.6.4), entries in the order given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hashtable(pub Vec<(Value, Value)>);

impl<K: Into<String>, V: ToValue> FromIterator<(K, V)> for Hashtable {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Hashtable {
        Hashtable(
            iter.into_iter()
                .map(|(k, v)| (Value::String(k.into()), v.to_value()))
                .collect(),
        )
    }
}
impl<K: Into<String>, V: ToValue, const N: usize> From<[(K, V); N]> for Hashtable {
    fn from(a: [(K, V); N]) -> Hashtable {
        a.into_iter().collect()
    }
}
impl<K: Into<String>, V: ToValue> From<Vec<(K, V)>> for Hashtable {
    fn from(a: Vec<(K, V)>) -> Hashtable {
        a.into_iter().collect()
    }
}
impl<V: ToValue> From<std::collections::BTreeMap<String, V>> for Hashtable {
    fn from(m: std::collections::BTreeMap<String, V>) -> Hashtable {
        m.into_iter().collect()
    }
}
impl ToValue for Hashtable {
    fn to_value(&self) -> Value {
        psremote_clixml::hashtable(self.0.clone())
    }
}
impl FromValue for Hashtable {
    fn from_value(v: &Value) -> Result<Hashtable, ConversionError> {
        match v {
            Value::Object(o) => match &o.content {
                ObjContent::Dict(entries) => Ok(Hashtable(entries.clone())),
                _ => Err(ConversionError::Type {
                    expected: "<DCT>",
                    found: "<Obj>".to_owned(),
                }),
            },
            other => Err(ConversionError::Type {
                expected: "<DCT>",
                found: format!("{other:?}"),
            }),
        }
    }
}

/// `System.Management.Automation.ActionPreference`, the type of -ErrorAction and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionPreference {
    SilentlyContinue,
    Stop,
    Continue,
    Inquire,
    Ignore,
    Suspend,
    Break,
}

impl ActionPreference {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionPreference::SilentlyContinue => "SilentlyContinue",
            ActionPreference::Stop => "Stop",
            ActionPreference::Continue => "Continue",
            ActionPreference::Inquire => "Inquire",
            ActionPreference::Ignore => "Ignore",
            ActionPreference::Suspend => "Suspend",
            ActionPreference::Break => "Break",
        }
    }
}

/// A pending secret argument, encrypted when the call runs.
#[derive(Clone)]
enum Secret {
    Secure(SecureString),
    Credential(PsCredential),
}

/// One command call being built: what a generated builder holds.
#[derive(Clone)]
pub struct Call {
    session: ImplicitSession,
    command: Command,
    input: Vec<Value>,
    /// (index in `command.parameters`, secret) for arguments encrypted at call time.
    secrets: Vec<(usize, Secret)>,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("command", &self.command.name)
            .field(
                "parameters",
                &self
                    .command
                    .parameters
                    .iter()
                    .map(|a| a.name.as_deref().unwrap_or("<positional>"))
                    .collect::<Vec<_>>(),
            )
            .field("input", &self.input.len())
            .finish_non_exhaustive()
    }
}

impl Call {
    /// A call of the command `name` (a cmdlet, function or alias name; never script text).
    pub fn new(session: &ImplicitSession, name: &str) -> Call {
        Call {
            session: session.clone(),
            command: Command::new(name),
            input: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// `-name value`. Setting a parameter again replaces its value.
    pub fn param(&mut self, name: &str, value: Value) {
        if let Some(i) = self.position(name) {
            self.secrets.retain(|(j, _)| *j != i);
            if let Some(a) = self.command.parameters.get_mut(i) {
                a.value = value;
            }
            return;
        }
        self.command.parameters.push(psremote_psrp::Argument {
            name: Some(name.to_owned()),
            value,
        });
    }

    /// `-name` (a switch, sent as `true` like PSCommand.AddParameter does).
    pub fn switch(&mut self, name: &str) {
        self.param(name, Value::Bool(true));
    }

    /// `-name <SecureString>`, encrypted with the session key when the call runs.
    pub fn secure_string(&mut self, name: &str, value: SecureString) {
        self.param(name, Value::Null);
        if let Some(i) = self.position(name) {
            self.secrets.push((i, Secret::Secure(value)));
        }
    }

    /// `-name <PSCredential>`; its password is encrypted when the call runs.
    pub fn credential(&mut self, name: &str, value: PsCredential) {
        self.param(name, Value::Null);
        if let Some(i) = self.position(name) {
            self.secrets.push((i, Secret::Credential(value)));
        }
    }

    /// Adds pipeline input.
    pub fn input(&mut self, items: Vec<Value>) {
        self.input.extend(items);
    }

    /// The command as it will be sent (secrets still `<Nil/>` placeholders).
    pub fn command(&self) -> &Command {
        &self.command
    }

    /// The pipeline input given so far.
    pub fn input_items(&self) -> &[Value] {
        &self.input
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.command.parameters.iter().position(|a| {
            a.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// Encrypts the pending secrets and returns what to send.
    async fn prepare(self) -> Result<(Arc<dyn Invoker>, PowerShell, Vec<Value>), Error> {
        let Call {
            session,
            mut command,
            input,
            secrets,
        } = self;
        let invoker = session.invoker;
        for (i, secret) in secrets {
            let value = match &secret {
                Secret::Secure(s) => invoker.secure_string(&s.0).await?,
                Secret::Credential(c) => {
                    let password = invoker.secure_string(&c.password).await?;
                    credential_value(&c.user_name, password)
                }
            };
            if let Some(a) = command.parameters.get_mut(i) {
                a.value = value;
            }
        }
        Ok((invoker, PowerShell::from(command), input))
    }

    /// Runs the command and decodes every output object as `T`.
    pub async fn invoke<T: FromValue>(self) -> Result<Vec<T>, Error> {
        let name = self.command.name.clone();
        let (invoker, ps, input) = self.prepare().await?;
        let values = invoker.invoke(ps, input).await?;
        decode_all(&name, &values)
    }

    /// Runs the command, yielding records as they arrive, output decoded as `T`.
    pub fn stream<T: FromValue + Send + 'static>(self) -> EventStream<T> {
        let name = self.command.name.clone();
        let start = async move {
            let (invoker, ps, input) = self.prepare().await?;
            Ok::<_, Error>(invoker.stream(ps, input))
        };
        decode_stream(name, start)
    }
}

/// A PSCredential object: `UserName` `<S>` and `Password` `<SS>` (as PowerShell serializes
/// `System.Management.Automation.PSCredential`).
fn credential_value(user_name: &str, password: Value) -> Value {
    let mut o =
        PsObject::with_type_names(["System.Management.Automation.PSCredential", "System.Object"]);
    o.adapted = vec![
        Property {
            name: "UserName".to_owned(),
            value: Value::String(user_name.to_owned()),
        },
        Property {
            name: "Password".to_owned(),
            value: password,
        },
    ];
    Value::object(o)
}

/// The common parameters (`about_CommonParameters`) on every builder of a cmdlet or advanced
/// function.
pub trait CommonParameters: Sized {
    /// The call the builder holds.
    fn call_mut(&mut self) -> &mut Call;

    /// `-Verbose`
    fn verbose(mut self) -> Self {
        self.call_mut().switch("Verbose");
        self
    }
    /// `-Debug`
    fn debug(mut self) -> Self {
        self.call_mut().switch("Debug");
        self
    }
    /// `-ErrorAction`
    fn error_action(mut self, a: ActionPreference) -> Self {
        self.call_mut()
            .param("ErrorAction", Value::String(a.as_str().to_owned()));
        self
    }
    /// `-WarningAction`
    fn warning_action(mut self, a: ActionPreference) -> Self {
        self.call_mut()
            .param("WarningAction", Value::String(a.as_str().to_owned()));
        self
    }
    /// `-InformationAction`
    fn information_action(mut self, a: ActionPreference) -> Self {
        self.call_mut()
            .param("InformationAction", Value::String(a.as_str().to_owned()));
        self
    }
    /// `-ProgressAction` (PowerShell 7.4 and later only).
    fn progress_action(mut self, a: ActionPreference) -> Self {
        self.call_mut()
            .param("ProgressAction", Value::String(a.as_str().to_owned()));
        self
    }
    /// `-ErrorVariable` (a variable of the remote runspace)
    fn error_variable(mut self, name: impl Into<String>) -> Self {
        self.call_mut()
            .param("ErrorVariable", Value::String(name.into()));
        self
    }
    /// `-WarningVariable`
    fn warning_variable(mut self, name: impl Into<String>) -> Self {
        self.call_mut()
            .param("WarningVariable", Value::String(name.into()));
        self
    }
    /// `-InformationVariable`
    fn information_variable(mut self, name: impl Into<String>) -> Self {
        self.call_mut()
            .param("InformationVariable", Value::String(name.into()));
        self
    }
    /// `-OutVariable`
    fn out_variable(mut self, name: impl Into<String>) -> Self {
        self.call_mut()
            .param("OutVariable", Value::String(name.into()));
        self
    }
    /// `-PipelineVariable`
    fn pipeline_variable(mut self, name: impl Into<String>) -> Self {
        self.call_mut()
            .param("PipelineVariable", Value::String(name.into()));
        self
    }
    /// `-OutBuffer`
    fn out_buffer(mut self, n: i32) -> Self {
        self.call_mut().param("OutBuffer", Value::I32(n));
        self
    }
}

// ---- remote pipeline chaining ----

/// Type state of a builder made to run on its own (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ready;

/// Type state of a builder made by `Remote::piped()`: its mandatory pipeline-input
/// parameters are left to the upstream command, so it can only be piped into, not run alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Piped;

/// A builder that can be a command of a remote pipeline.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be piped into: it has no pipeline-input parameter (or is not made for piping)",
    label = "this command takes no pipeline input",
    note = "a command whose mandatory parameters take pipeline input is piped as `remote.piped().<command>()`"
)]
pub trait Stage {
    /// What the command writes to its output stream.
    type Output: FromValue + Send + 'static;
    /// The call the builder made.
    fn into_stage_call(self) -> Call;
}

/// Implemented by a downstream builder for every upstream output type `T` its pipeline-input
/// parameters can bind (by value, or by property name). The generator decides this from the
/// catalog, so a chain the server could not bind does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take `{T}` from the pipeline",
    label = "no pipeline-input parameter of this command binds `{T}` (by value or by property name)"
)]
pub trait Accepts<T> {}

/// Several commands piped into each other, sent as ONE CREATE_PIPELINE (MS-PSRP 2.2.2.10:
/// the `Cmds` list of one statement), so the objects flow between the commands on the server
/// with no client round trip. Typed by the last command's output.
#[derive(Debug)]
pub struct Pipeline<T> {
    calls: Vec<Call>,
    output: std::marker::PhantomData<fn() -> T>,
}

impl<T> Clone for Pipeline<T> {
    fn clone(&self) -> Self {
        Pipeline {
            calls: self.calls.clone(),
            output: std::marker::PhantomData,
        }
    }
}

impl<T: FromValue + Send + 'static> Pipeline<T> {
    /// A pipeline of one command whose output is `T`.
    pub fn start(first: Call) -> Pipeline<T> {
        Pipeline {
            calls: vec![first],
            output: std::marker::PhantomData,
        }
    }

    /// `... | next`: allowed only when `next` can bind this pipeline's output.
    pub fn pipe<D: Stage + Accepts<T>>(mut self, next: D) -> Pipeline<D::Output> {
        self.calls.push(next.into_stage_call());
        Pipeline {
            calls: self.calls,
            output: std::marker::PhantomData,
        }
    }

    /// The commands, first to last, as they will be sent.
    pub fn commands(&self) -> Vec<&Command> {
        self.calls.iter().map(Call::command).collect()
    }

    fn last_name(&self) -> String {
        self.calls
            .last()
            .map(|c| c.command.name.clone())
            .unwrap_or_default()
    }

    /// Encrypts every pending secret and joins the commands into one statement. All the
    /// commands must run on the same session, and only the first can have pipeline input.
    async fn prepare(self) -> Result<(Arc<dyn Invoker>, PowerShell, Vec<Value>), Error> {
        let mut calls = self.calls.into_iter();
        let Some(first) = calls.next() else {
            return Err(Error::Session(crate::Error::InvalidState(
                "an empty pipeline",
            )));
        };
        let (invoker, mut ps, input) = first.prepare().await?;
        for call in calls {
            if !Arc::ptr_eq(&invoker, &call.session.invoker) {
                return Err(Error::Session(crate::Error::InvalidState(
                    "the commands of one pipeline must use the same session",
                )));
            }
            if !call.input.is_empty() {
                return Err(Error::Session(crate::Error::InvalidState(
                    "only the first command of a pipeline takes input from the client",
                )));
            }
            let (_, next, _) = call.prepare().await?;
            ps.commands.extend(next.commands);
        }
        Ok((invoker, ps, input))
    }

    /// Runs the pipeline and decodes every output object of the last command as `T`.
    pub async fn invoke(self) -> Result<Vec<T>, Error> {
        let name = self.last_name();
        let (invoker, ps, input) = self.prepare().await?;
        let values = invoker.invoke(ps, input).await?;
        decode_all(&name, &values)
    }

    /// Runs the pipeline, yielding records as they arrive, output decoded as `T`.
    pub fn stream(self) -> EventStream<T> {
        let name = self.last_name();
        decode_stream(name, async move {
            let (invoker, ps, input) = self.prepare().await?;
            Ok(invoker.stream(ps, input))
        })
    }
}

fn decode_all<T: FromValue>(name: &str, values: &[Value]) -> Result<Vec<T>, Error> {
    values
        .iter()
        .enumerate()
        .map(|(index, v)| {
            T::from_value(v).map_err(|source| Error::Decode {
                command: name.to_owned(),
                index,
                source,
            })
        })
        .collect()
}

fn decode_stream<T: FromValue + Send + 'static>(
    name: String,
    start: impl Future<Output = Result<BoxStream<'static, Result<Event<Value>, crate::Error>>, Error>>
    + Send
    + 'static,
) -> EventStream<T> {
    let mut index = 0usize;
    Box::pin(
        futures::stream::once(start)
            .flat_map(|r| match r {
                Ok(s) => s.map(|r| r.map_err(Error::from)).boxed(),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            })
            .map(move |r| {
                r.and_then(|e| match e {
                    Event::Output(v) => {
                        let i = index;
                        index += 1;
                        T::from_value(&v)
                            .map(Event::Output)
                            .map_err(|source| Error::Decode {
                                command: name.clone(),
                                index: i,
                                source,
                            })
                    }
                    Event::Error(r) => Ok(Event::Error(r)),
                    Event::Warning(r) => Ok(Event::Warning(r)),
                    Event::Verbose(r) => Ok(Event::Verbose(r)),
                    Event::Debug(r) => Ok(Event::Debug(r)),
                    Event::Information(r) => Ok(Event::Information(r)),
                    Event::Progress(r) => Ok(Event::Progress(r)),
                })
            }),
    )
}

// ---- helpers the generated code calls ----

/// `v` as a value.
pub fn to_value<T: ToValue>(v: T) -> Value {
    v.to_value()
}

/// An `object[]` of the items, each converted to `T` first.
pub fn list<T: ToValue, I: IntoIterator>(items: I) -> Value
where
    I::Item: Into<T>,
{
    psremote_clixml::array(items.into_iter().map(|x| x.into().to_value()).collect())
}

/// An `object[]` of values of any type.
pub fn values<I: IntoIterator>(items: I) -> Value
where
    I::Item: ToValue,
{
    psremote_clixml::array(items.into_iter().map(|x| x.to_value()).collect())
}

/// Pipeline input items, each converted to `T` first.
pub fn items<T: ToValue, I: IntoIterator>(items: I) -> Vec<Value>
where
    I::Item: Into<T>,
{
    items.into_iter().map(|x| x.into().to_value()).collect()
}

/// Pipeline input items of any type.
pub fn value_items<I: IntoIterator>(items: I) -> Vec<Value>
where
    I::Item: ToValue,
{
    items.into_iter().map(|x| x.to_value()).collect()
}

/// A `[Flags]` enum argument: the values joined as PowerShell writes them (`"A, B"`).
pub fn flags<E: fmt::Display, I: IntoIterator<Item = E>>(items: I) -> Value {
    let text: Vec<String> = items.into_iter().map(|e| e.to_string()).collect();
    Value::String(text.join(", "))
}

/// The text of an enum value: a string, an enum object's ToString, or the number inside.
pub fn enum_text(v: &Value) -> String {
    if let Value::Object(o) = v
        && let Some(s) = &o.to_string
    {
        return s.clone();
    }
    match v.primitive() {
        Value::String(s) => s.clone(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::I16(n) => n.to_string(),
        Value::U16(n) => n.to_string(),
        Value::U8(n) => n.to_string(),
        Value::I8(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// The object a value is, or a property-less object wrapping a primitive.
pub fn object(v: &Value) -> Object {
    match v {
        Value::Object(o) => o.clone(),
        other => Arc::new(PsObject {
            content: ObjContent::Value(other.clone()),
            ..PsObject::default()
        }),
    }
}

/// A property decoded leniently: missing, `<Nil/>` or of another type → `None`.
pub fn prop<T: FromValue>(o: &PsObject, name: &str) -> Option<T> {
    match o.get(name) {
        None | Some(Value::Null) => None,
        Some(v) => T::from_value(v).ok(),
    }
}

/// A list property decoded leniently.
pub fn prop_list<T: FromValue>(o: &PsObject, name: &str) -> Option<Vec<T>> {
    prop::<Vec<T>>(o, name)
}

/// Whether a value is of the .NET type `name` (objects by their type names, `Deserialized.`
/// prefix allowed; primitives by their MS-PSRP 2.2.5.1 type).
pub fn is_type(v: &Value, name: &str) -> bool {
    if let Value::Object(o) = v {
        let deserialized = format!("Deserialized.{name}");
        if o.type_names()
            .iter()
            .any(|t| t.eq_ignore_ascii_case(name) || t.eq_ignore_ascii_case(&deserialized))
        {
            return true;
        }
    }
    let prim = match v.primitive() {
        Value::String(_) => "System.String",
        Value::Char(_) => "System.Char",
        Value::Bool(_) => "System.Boolean",
        Value::DateTime(_) => "System.DateTime",
        Value::Duration(_) => "System.TimeSpan",
        Value::U8(_) => "System.Byte",
        Value::I8(_) => "System.SByte",
        Value::U16(_) => "System.UInt16",
        Value::I16(_) => "System.Int16",
        Value::U32(_) => "System.UInt32",
        Value::I32(_) => "System.Int32",
        Value::U64(_) => "System.UInt64",
        Value::I64(_) => "System.Int64",
        Value::Float(_) => "System.Single",
        Value::Double(_) => "System.Double",
        Value::Decimal(_) => "System.Decimal",
        Value::Bytes(_) => "System.Byte[]",
        Value::Guid(_) => "System.Guid",
        Value::Uri(_) => "System.Uri",
        Value::Version(_) => "System.Version",
        Value::XmlDocument(_) => "System.Xml.XmlDocument",
        Value::ScriptBlock(_) => "System.Management.Automation.ScriptBlock",
        Value::SecureString(_) => "System.Security.SecureString",
        Value::Null | Value::Object(_) => return false,
    };
    prim.eq_ignore_ascii_case(name)
}

/// Includes stubs a build script wrote with `psremote_codegen::Builder::write_to_out_dir`:
/// `mod remote { psremote::include_remote!("remote.rs"); }`.
#[macro_export]
macro_rules! include_remote {
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file));
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;
    impl Invoker for Echo {
        fn invoke(
            &self,
            pipeline: PowerShell,
            input: Vec<Value>,
        ) -> BoxFuture<'_, Result<Vec<Value>, crate::Error>> {
            Box::pin(async move {
                let mut out: Vec<Value> = pipeline
                    .commands
                    .iter()
                    .flat_map(|c| c.parameters.iter().map(|a| a.value.clone()))
                    .collect();
                out.extend(input);
                Ok(out)
            })
        }
        fn stream(
            &self,
            pipeline: PowerShell,
            input: Vec<Value>,
        ) -> BoxStream<'static, Result<Event<Value>, crate::Error>> {
            let items: Vec<_> = pipeline
                .commands
                .iter()
                .map(|c| Ok(Event::Output(Value::String(c.name.clone()))))
                .chain(input.into_iter().map(|v| Ok(Event::Output(v))))
                .collect();
            futures::stream::iter(items).boxed()
        }
    }

    #[tokio::test]
    async fn call_sends_named_parameters_and_decodes_output() {
        let s = ImplicitSession::new(Echo);
        let mut call = Call::new(&s, "Get-Thing");
        call.param("Name", list::<String, _>(["a", "b"]));
        call.switch("Force");
        call.param("Count", to_value(3i32));
        call.param("count", to_value(4i32));
        assert_eq!(
            call.command().parameters.len(),
            3,
            "a repeated name replaces"
        );
        let out = call.clone().invoke::<Value>().await.expect("runs");
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], Value::Bool(true));
        assert_eq!(out[2], Value::I32(4));
        let err = call.invoke::<i32>().await.expect_err("a list is no i32");
        assert!(matches!(err, Error::Decode { index: 0, .. }), "{err}");
    }

    #[tokio::test]
    async fn secrets_need_an_invoker_that_encrypts() {
        let s = ImplicitSession::new(Echo);
        let mut call = Call::new(&s, "New-Thing");
        call.credential("Credential", PsCredential::new("u", "s3cr3t-pw"));
        call.secure_string("Key", SecureString::from("k3y-s3cr3t".to_owned()));
        let shown = format!("{call:?}");
        assert!(!shown.contains("s3cr3t"), "Debug leaks a secret: {shown}");
        assert_eq!(
            call.command().parameters[0].value,
            Value::Null,
            "placeholder until sent"
        );
        let err = call.invoke::<Value>().await.expect_err("no key");
        assert!(matches!(err, Error::Session(crate::Error::Unsupported(_))));
    }

    #[tokio::test]
    async fn stream_decodes_outputs_in_order() {
        let s = ImplicitSession::new(Echo);
        let mut call = Call::new(&s, "Get-Thing");
        call.input(items::<String, _>(["x"]));
        let got: Vec<_> = call.stream::<String>().collect().await;
        let got: Vec<String> = got
            .into_iter()
            .map(|r| match r {
                Ok(Event::Output(s)) => s,
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(got, ["Get-Thing", "x"]);
    }

    #[test]
    fn helpers_read_objects_leniently() {
        let mut o =
            PsObject::with_type_names(["Deserialized.System.Thing", "Deserialized.System.Object"]);
        o.adapted = vec![
            Property {
                name: "Count".into(),
                value: Value::I32(2),
            },
            Property {
                name: "Name".into(),
                value: Value::I32(7),
            },
        ];
        let v = Value::object(o);
        let obj = object(&v);
        assert_eq!(prop::<i32>(&obj, "count"), Some(2));
        assert_eq!(
            prop::<String>(&obj, "Name"),
            None,
            "wrong type is None, not an error"
        );
        assert_eq!(prop::<i32>(&obj, "Missing"), None);
        assert!(is_type(&v, "System.Thing"));
        assert!(!is_type(&v, "System.Other"));
        assert!(is_type(&Value::I32(1), "System.Int32"));
        assert_eq!(flags(["A", "B"]), Value::String("A, B".into()));
    }
}
