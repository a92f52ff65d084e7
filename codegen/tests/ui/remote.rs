#[allow(unused_imports)]
use ::psremote_runtime::implicit as __rt;
#[allow(unused_imports)]
pub use ::psremote_runtime::implicit::CommonParameters;
/// The remote commands, run implicitly on a session (live, or connection settings
/// that connect on first use).
#[derive(Debug, Clone)]
pub struct Remote {
    session: __rt::ImplicitSession,
}
#[allow(clippy::too_many_arguments)]
impl Remote {
    /// Wraps a session (or lazy connection settings).
    pub fn new(session: impl Into<__rt::ImplicitSession>) -> Remote {
        Remote { session: session.into() }
    }
    /// The session the commands run on.
    pub fn session(&self) -> &__rt::ImplicitSession {
        &self.session
    }
    /// `Get-ChildItem`
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn get_child_item(&self) -> GetChildItem {
        let call = __rt::Call::new(&self.session, "Get-ChildItem");
        GetChildItem { call }
    }
    /// `Get-Content`
    ///
    /// Parameter set `Path`.
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn get_content(
        &self,
        path: impl IntoIterator<Item = impl Into<String>>,
    ) -> GetContent {
        let mut call = __rt::Call::new(&self.session, "Get-Content");
        call.param("Path", __rt::list::<String, _>(path));
        GetContent {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Get-Content`
    ///
    /// Parameter set `LiteralPath`.
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn get_content_by_literal_path(
        &self,
        literal_path: impl IntoIterator<Item = impl Into<String>>,
    ) -> GetContentByLiteralPath {
        let mut call = __rt::Call::new(&self.session, "Get-Content");
        call.param("LiteralPath", __rt::list::<String, _>(literal_path));
        GetContentByLiteralPath {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Get-Help`
    ///
    /// Parameter set `AllUsersView`.
    ///
    /// Module `Microsoft.PowerShell.Core` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn get_help(&self) -> GetHelp {
        let call = __rt::Call::new(&self.session, "Get-Help");
        GetHelp { call }
    }
    /// `Get-Help`
    ///
    /// Parameter set `EXAMPLES`.
    ///
    /// Module `Microsoft.PowerShell.Core` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    ///
    /// Sends `-Examples` (mandatory in this set).
    pub fn get_help_by_examples(&self) -> GetHelpByExamples {
        let mut call = __rt::Call::new(&self.session, "Get-Help");
        call.switch("Examples");
        GetHelpByExamples { call }
    }
    /// `Get-Help`
    ///
    /// Parameter set `Examples`.
    ///
    /// Module `Microsoft.PowerShell.Core` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    ///
    /// Sends `-Full` (mandatory in this set).
    pub fn get_help_by_examples2(&self) -> GetHelpByExamples2 {
        let mut call = __rt::Call::new(&self.session, "Get-Help");
        call.switch("Full");
        GetHelpByExamples2 { call }
    }
    /// `Get-Service`: Gets the services on the computer.
    ///
    /// Parameter set `Default`.
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn get_service(&self) -> GetService {
        let call = __rt::Call::new(&self.session, "Get-Service");
        GetService { call }
    }
    /// `Get-Service`: Gets the services on the computer.
    ///
    /// Parameter set `DisplayName`.
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn get_service_by_display_name(
        &self,
        display_name: impl IntoIterator<Item = impl Into<String>>,
    ) -> GetServiceByDisplayName {
        let mut call = __rt::Call::new(&self.session, "Get-Service");
        call.param("DisplayName", __rt::list::<String, _>(display_name));
        GetServiceByDisplayName { call }
    }
    /// `Get-Service`: Gets the services on the computer.
    ///
    /// Parameter set `InputObject`.
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn get_service_by_input_object(&self) -> GetServiceByInputObject {
        let call = __rt::Call::new(&self.session, "Get-Service");
        GetServiceByInputObject { call }
    }
    /// `New-Thing`: A synthetic command with every parameter shape.
    ///
    /// Module `Synthetic` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn new_thing(
        &self,
        name: impl Into<String>,
        r#type: impl Into<String>,
    ) -> NewThing {
        let mut call = __rt::Call::new(&self.session, "New-Thing");
        call.param("Name", __rt::to_value::<String>(name.into()));
        call.param("Type", __rt::to_value::<String>(r#type.into()));
        NewThing { call }
    }
    /// `Set-Service`
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn set_service(&self, name: impl Into<String>) -> SetService {
        let mut call = __rt::Call::new(&self.session, "Set-Service");
        call.param("Name", __rt::to_value::<String>(name.into()));
        SetService {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Stop-Service`: Stops one or more running services.
    ///
    /// Parameter set `InputObject`.
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn stop_service(
        &self,
        input_object: impl IntoIterator<Item = impl Into<ServiceController>>,
    ) -> StopService {
        let mut call = __rt::Call::new(&self.session, "Stop-Service");
        call.input(__rt::items::<ServiceController, _>(input_object));
        StopService {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Stop-Service`: Stops one or more running services.
    ///
    /// Parameter set `Default`.
    ///
    /// Module `Microsoft.PowerShell.Management` 3.1.0.0.
    ///
    /// Online help: <https://go.microsoft.com/fwlink/?LinkID=0>
    pub fn stop_service_by_default(
        &self,
        name: impl IntoIterator<Item = impl Into<String>>,
    ) -> StopServiceByDefault {
        let mut call = __rt::Call::new(&self.session, "Stop-Service");
        call.input(__rt::items::<String, _>(name));
        StopServiceByDefault {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `gsv`: alias of [`Remote::get_service`] (`Get-Service`).
    pub fn gsv(&self) -> GetService {
        self.get_service()
    }
}
impl Remote {
    /// Constructors of downstream pipeline commands: the ones whose mandatory
    /// parameters take pipeline input, without those arguments.
    pub fn piped(&self) -> RemotePiped<'_> {
        RemotePiped { remote: self }
    }
}
/// See [`Remote::piped`].
#[derive(Debug, Clone, Copy)]
pub struct RemotePiped<'a> {
    remote: &'a Remote,
}
#[allow(clippy::too_many_arguments)]
impl RemotePiped<'_> {
    /// `Get-Content` as a downstream command of a pipeline: its mandatory pipeline-input parameters are bound on the server from the upstream output (use with `.pipe`).
    pub fn get_content(&self) -> GetContent<__rt::Piped> {
        let call = __rt::Call::new(&self.remote.session, "Get-Content");
        GetContent {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Get-Content` as a downstream command of a pipeline: its mandatory pipeline-input parameters are bound on the server from the upstream output (use with `.pipe`).
    pub fn get_content_by_literal_path(&self) -> GetContentByLiteralPath<__rt::Piped> {
        let call = __rt::Call::new(&self.remote.session, "Get-Content");
        GetContentByLiteralPath {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Set-Service` as a downstream command of a pipeline: its mandatory pipeline-input parameters are bound on the server from the upstream output (use with `.pipe`).
    pub fn set_service(&self) -> SetService<__rt::Piped> {
        let call = __rt::Call::new(&self.remote.session, "Set-Service");
        SetService {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Stop-Service` as a downstream command of a pipeline: its mandatory pipeline-input parameters are bound on the server from the upstream output (use with `.pipe`).
    pub fn stop_service(&self) -> StopService<__rt::Piped> {
        let call = __rt::Call::new(&self.remote.session, "Stop-Service");
        StopService {
            call,
            state: ::core::marker::PhantomData,
        }
    }
    /// `Stop-Service` as a downstream command of a pipeline: its mandatory pipeline-input parameters are bound on the server from the upstream output (use with `.pipe`).
    pub fn stop_service_by_default(&self) -> StopServiceByDefault<__rt::Piped> {
        let call = __rt::Call::new(&self.remote.session, "Stop-Service");
        StopServiceByDefault {
            call,
            state: ::core::marker::PhantomData,
        }
    }
}
/// An output of `Get-ChildItem` (it declares several output types).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GetChildItemOutput {
    /// `System.IO.FileInfo`
    FileInfo(FileInfo),
    /// `System.IO.DirectoryInfo`
    DirectoryInfo(DirectoryInfo),
    /// An object of a type the command did not declare.
    Other(__rt::Value),
}
impl __rt::FromValue for GetChildItemOutput {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        if __rt::is_type(v, "System.IO.FileInfo") {
            return Ok(Self::FileInfo(<FileInfo as __rt::FromValue>::from_value(v)?));
        }
        if __rt::is_type(v, "System.IO.DirectoryInfo") {
            return Ok(
                Self::DirectoryInfo(<DirectoryInfo as __rt::FromValue>::from_value(v)?),
            );
        }
        Ok(Self::Other(v.clone()))
    }
}
/// Builder for `Get-ChildItem` (parameter set `Items`); run it with [`GetChildItem::invoke`] or [`GetChildItem::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetChildItem {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl GetChildItem {
    /// `-Path` (`System.String[]`)
    ///
    /// position 0; accepts pipeline input; accepts pipeline input by property name
    pub fn path(mut self, value: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let call = &mut self.call;
        call.param("Path", __rt::list::<String, _>(value));
        self
    }
    /// `-Recurse` (`System.Management.Automation.SwitchParameter`)
    ///
    /// aliases: s
    pub fn recurse(mut self) -> Self {
        self.call.switch("Recurse");
        self
    }
    /// `-Attributes` (`System.Management.Automation.FlagsExpression`1[System.IO.FileAttributes]`), a dynamic parameter
    pub fn attributes(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Attributes", __rt::to_value::<String>(value.into()));
        self
    }
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(mut self, items: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let call = &mut self.call;
        call.input(__rt::items::<String, _>(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<GetChildItemOutput>, __rt::Error> {
        self.call.invoke::<GetChildItemOutput>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<GetChildItemOutput> {
        self.call.stream::<GetChildItemOutput>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<GetChildItemOutput>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<GetChildItemOutput>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for GetChildItem {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for GetChildItem {
    type Output = GetChildItemOutput;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
/// An output of `Get-Content` (it declares several output types).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GetContentOutput {
    /// `System.String`
    String(String),
    /// `System.Byte`
    U8(u8),
    /// An object of a type the command did not declare.
    Other(__rt::Value),
}
impl __rt::FromValue for GetContentOutput {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        if __rt::is_type(v, "System.String") {
            return Ok(Self::String(<String as __rt::FromValue>::from_value(v)?));
        }
        if __rt::is_type(v, "System.Byte") {
            return Ok(Self::U8(<u8 as __rt::FromValue>::from_value(v)?));
        }
        Ok(Self::Other(v.clone()))
    }
}
/// Builder for `Get-Content` (parameter set `Path`); run it with [`GetContent::invoke`] or [`GetContent::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetContent<S = __rt::Ready> {
    call: __rt::Call,
    state: ::core::marker::PhantomData<S>,
}
#[allow(clippy::should_implement_trait)]
impl<S> GetContent<S> {
    /// `-Stream` (`System.String`), a dynamic parameter
    ///
    /// Gets the alternate data stream (FileSystem provider).
    pub fn stream_param(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Stream", __rt::to_value::<String>(value.into()));
        self
    }
    /// `-Encoding` (`Microsoft.PowerShell.Commands.FileSystemCmdletProviderEncoding`), a dynamic parameter
    pub fn encoding(
        mut self,
        value: impl Into<FileSystemCmdletProviderEncoding>,
    ) -> Self {
        let call = &mut self.call;
        call.param(
            "Encoding",
            __rt::to_value::<FileSystemCmdletProviderEncoding>(value.into()),
        );
        self
    }
    /// `-Raw` (`System.Management.Automation.SwitchParameter`), a dynamic parameter
    pub fn raw(mut self) -> Self {
        self.call.switch("Raw");
        self
    }
    /// `-TotalCount` (`System.Int64`)
    ///
    /// aliases: First, Head; range -1..=9223372036854775807 (checked by the server)
    pub fn total_count(mut self, value: impl Into<i64>) -> Self {
        let call = &mut self.call;
        call.param("TotalCount", __rt::to_value::<i64>(value.into()));
        self
    }
    /// `-Tail` (`System.Int32`)
    ///
    /// aliases: Last
    pub fn tail(mut self, value: impl Into<i32>) -> Self {
        let call = &mut self.call;
        call.param("Tail", __rt::to_value::<i32>(value.into()));
        self
    }
    /// `-ReadCount` (`System.Int64`)
    pub fn read_count(mut self, value: impl Into<i64>) -> Self {
        let call = &mut self.call;
        call.param("ReadCount", __rt::to_value::<i64>(value.into()));
        self
    }
    /// `-Delimiter` (`System.String`), a dynamic parameter
    pub fn delimiter(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Delimiter", __rt::to_value::<String>(value.into()));
        self
    }
}
#[allow(clippy::should_implement_trait)]
impl GetContent {
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(mut self, items: impl IntoIterator<Item = impl __rt::ToValue>) -> Self {
        let call = &mut self.call;
        call.input(__rt::value_items(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<GetContentOutput>, __rt::Error> {
        self.call.invoke::<GetContentOutput>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<GetContentOutput> {
        self.call.stream::<GetContentOutput>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<GetContentOutput>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<GetContentOutput>::start(self.call).pipe(next)
    }
}
impl<S> __rt::CommonParameters for GetContent<S> {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for GetContent<__rt::Piped> {
    type Output = GetContentOutput;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
/// Builder for `Get-Content` (parameter set `LiteralPath`); run it with [`GetContentByLiteralPath::invoke`] or [`GetContentByLiteralPath::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetContentByLiteralPath<S = __rt::Ready> {
    call: __rt::Call,
    state: ::core::marker::PhantomData<S>,
}
#[allow(clippy::should_implement_trait)]
impl<S> GetContentByLiteralPath<S> {
    /// `-Stream` (`System.String`), a dynamic parameter
    pub fn stream_param(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Stream", __rt::to_value::<String>(value.into()));
        self
    }
}
#[allow(clippy::should_implement_trait)]
impl GetContentByLiteralPath {
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(mut self, items: impl IntoIterator<Item = impl __rt::ToValue>) -> Self {
        let call = &mut self.call;
        call.input(__rt::value_items(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<GetContentOutput>, __rt::Error> {
        self.call.invoke::<GetContentOutput>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<GetContentOutput> {
        self.call.stream::<GetContentOutput>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<GetContentOutput>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<GetContentOutput>::start(self.call).pipe(next)
    }
}
impl<S> __rt::CommonParameters for GetContentByLiteralPath<S> {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for GetContentByLiteralPath<__rt::Piped> {
    type Output = GetContentOutput;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
/// Builder for `Get-Help` (parameter set `AllUsersView`); run it with [`GetHelp::invoke`] or [`GetHelp::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetHelp {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl GetHelp {
    /// `-Name` (`System.String`)
    ///
    /// position 0
    pub fn name(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Name", __rt::to_value::<String>(value.into()));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(self) -> ::core::result::Result<Vec<__rt::Value>, __rt::Error> {
        self.call.invoke::<__rt::Value>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<__rt::Value> {
        self.call.stream::<__rt::Value>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<__rt::Value>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<__rt::Value>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for GetHelp {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
/// Builder for `Get-Help` (parameter set `EXAMPLES`); run it with [`GetHelpByExamples::invoke`] or [`GetHelpByExamples::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetHelpByExamples {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl GetHelpByExamples {
    /// `-Name` (`System.String`)
    ///
    /// position 0
    pub fn name(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Name", __rt::to_value::<String>(value.into()));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(self) -> ::core::result::Result<Vec<__rt::Value>, __rt::Error> {
        self.call.invoke::<__rt::Value>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<__rt::Value> {
        self.call.stream::<__rt::Value>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<__rt::Value>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<__rt::Value>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for GetHelpByExamples {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
/// Builder for `Get-Help` (parameter set `Examples`); run it with [`GetHelpByExamples2::invoke`] or [`GetHelpByExamples2::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetHelpByExamples2 {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl GetHelpByExamples2 {
    /// `-Name` (`System.String`)
    ///
    /// position 0
    pub fn name(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Name", __rt::to_value::<String>(value.into()));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(self) -> ::core::result::Result<Vec<__rt::Value>, __rt::Error> {
        self.call.invoke::<__rt::Value>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<__rt::Value> {
        self.call.stream::<__rt::Value>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<__rt::Value>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<__rt::Value>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for GetHelpByExamples2 {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
/// Builder for `Get-Service` (parameter set `Default`); run it with [`GetService::invoke`] or [`GetService::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetService {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl GetService {
    /// `-Name` (`System.String[]`)
    ///
    /// aliases: ServiceName; position 0; accepts pipeline input; accepts pipeline input by property name
    pub fn name(mut self, value: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let call = &mut self.call;
        call.param("Name", __rt::list::<String, _>(value));
        self
    }
    /// `-ComputerName` (`System.String[]`)
    ///
    /// aliases: Cn; accepts pipeline input by property name
    pub fn computer_name(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("ComputerName", __rt::list::<String, _>(value));
        self
    }
    /// `-DependentServices` (`System.Management.Automation.SwitchParameter`)
    ///
    /// aliases: DS
    pub fn dependent_services(mut self) -> Self {
        self.call.switch("DependentServices");
        self
    }
    /// `-Include` (`System.String[]`)
    pub fn include(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("Include", __rt::list::<String, _>(value));
        self
    }
    /// `-Exclude` (`System.String[]`)
    pub fn exclude(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("Exclude", __rt::list::<String, _>(value));
        self
    }
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(mut self, items: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let call = &mut self.call;
        call.input(__rt::items::<String, _>(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<ServiceController>, __rt::Error> {
        self.call.invoke::<ServiceController>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<ServiceController> {
        self.call.stream::<ServiceController>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<ServiceController>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<ServiceController>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for GetService {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for GetService {
    type Output = ServiceController;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
impl __rt::Accepts<ServiceController> for GetService {}
/// Builder for `Get-Service` (parameter set `DisplayName`); run it with [`GetServiceByDisplayName::invoke`] or [`GetServiceByDisplayName::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetServiceByDisplayName {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl GetServiceByDisplayName {
    /// `-ComputerName` (`System.String[]`)
    ///
    /// aliases: Cn; accepts pipeline input by property name
    pub fn computer_name(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("ComputerName", __rt::list::<String, _>(value));
        self
    }
    /// `-DependentServices` (`System.Management.Automation.SwitchParameter`)
    ///
    /// aliases: DS
    pub fn dependent_services(mut self) -> Self {
        self.call.switch("DependentServices");
        self
    }
    /// `-Include` (`System.String[]`)
    pub fn include(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("Include", __rt::list::<String, _>(value));
        self
    }
    /// `-Exclude` (`System.String[]`)
    pub fn exclude(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("Exclude", __rt::list::<String, _>(value));
        self
    }
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(mut self, items: impl IntoIterator<Item = impl __rt::ToValue>) -> Self {
        let call = &mut self.call;
        call.input(__rt::value_items(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<ServiceController>, __rt::Error> {
        self.call.invoke::<ServiceController>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<ServiceController> {
        self.call.stream::<ServiceController>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<ServiceController>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<ServiceController>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for GetServiceByDisplayName {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for GetServiceByDisplayName {
    type Output = ServiceController;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
/// Builder for `Get-Service` (parameter set `InputObject`); run it with [`GetServiceByInputObject::invoke`] or [`GetServiceByInputObject::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct GetServiceByInputObject {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl GetServiceByInputObject {
    /// `-InputObject` (`System.ServiceProcess.ServiceController[]`)
    ///
    /// accepts pipeline input
    pub fn input_object(
        mut self,
        value: impl IntoIterator<Item = impl Into<ServiceController>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("InputObject", __rt::list::<ServiceController, _>(value));
        self
    }
    /// `-ComputerName` (`System.String[]`)
    ///
    /// aliases: Cn; accepts pipeline input by property name
    pub fn computer_name(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("ComputerName", __rt::list::<String, _>(value));
        self
    }
    /// `-DependentServices` (`System.Management.Automation.SwitchParameter`)
    ///
    /// aliases: DS
    pub fn dependent_services(mut self) -> Self {
        self.call.switch("DependentServices");
        self
    }
    /// `-Include` (`System.String[]`)
    pub fn include(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("Include", __rt::list::<String, _>(value));
        self
    }
    /// `-Exclude` (`System.String[]`)
    pub fn exclude(
        mut self,
        value: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let call = &mut self.call;
        call.param("Exclude", __rt::list::<String, _>(value));
        self
    }
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(
        mut self,
        items: impl IntoIterator<Item = impl Into<ServiceController>>,
    ) -> Self {
        let call = &mut self.call;
        call.input(__rt::items::<ServiceController, _>(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<ServiceController>, __rt::Error> {
        self.call.invoke::<ServiceController>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<ServiceController> {
        self.call.stream::<ServiceController>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<ServiceController>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<ServiceController>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for GetServiceByInputObject {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for GetServiceByInputObject {
    type Output = ServiceController;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
impl __rt::Accepts<ServiceController> for GetServiceByInputObject {}
/// Builder for `New-Thing` (parameter set `__AllParameterSets`); run it with [`NewThing::invoke`] or [`NewThing::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct NewThing {
    call: __rt::Call,
}
#[allow(clippy::should_implement_trait)]
impl NewThing {
    /// `-Self` (`System.Boolean`)
    pub fn self_(mut self, value: impl Into<bool>) -> Self {
        let call = &mut self.call;
        call.param("Self", __rt::to_value::<bool>(value.into()));
        self
    }
    /// `-Match` (`System.Text.RegularExpressions.Regex`)
    pub fn r#match(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Match", __rt::to_value::<String>(value.into()));
        self
    }
    /// `-Async` (`System.Management.Automation.SwitchParameter`)
    pub fn r#async(mut self) -> Self {
        self.call.switch("Async");
        self
    }
    /// `-Input` (`System.Object`)
    pub fn input_param(mut self, value: impl __rt::ToValue) -> Self {
        let call = &mut self.call;
        call.param("Input", __rt::ToValue::to_value(&value));
        self
    }
    /// `-Value` (`System.Object`)
    ///
    /// accepts pipeline input
    pub fn value(mut self, value: impl __rt::ToValue) -> Self {
        let call = &mut self.call;
        call.param("Value", __rt::ToValue::to_value(&value));
        self
    }
    /// `-Property` (`System.Collections.Hashtable`)
    pub fn property(mut self, value: impl Into<__rt::Hashtable>) -> Self {
        let call = &mut self.call;
        call.param("Property", __rt::to_value::<__rt::Hashtable>(value.into()));
        self
    }
    /// `-Filter` (`System.Management.Automation.ScriptBlock`)
    pub fn filter(mut self, value: impl Into<__rt::ScriptBlock>) -> Self {
        let call = &mut self.call;
        call.param("Filter", __rt::to_value::<__rt::ScriptBlock>(value.into()));
        self
    }
    /// `-Bytes` (`System.Byte[]`)
    pub fn bytes(mut self, value: impl Into<__rt::Bytes>) -> Self {
        let call = &mut self.call;
        call.param("Bytes", __rt::to_value::<__rt::Bytes>(value.into()));
        self
    }
    /// `-When` (`System.DateTime`)
    pub fn when(mut self, value: impl Into<__rt::DateTime>) -> Self {
        let call = &mut self.call;
        call.param("When", __rt::to_value::<__rt::DateTime>(value.into()));
        self
    }
    /// `-Timeout` (`System.TimeSpan`)
    pub fn timeout(mut self, value: impl Into<__rt::Duration>) -> Self {
        let call = &mut self.call;
        call.param("Timeout", __rt::to_value::<__rt::Duration>(value.into()));
        self
    }
    /// `-Id` (`System.Guid[]`)
    pub fn id(mut self, value: impl IntoIterator<Item = impl Into<__rt::Uuid>>) -> Self {
        let call = &mut self.call;
        call.param("Id", __rt::list::<__rt::Uuid, _>(value));
        self
    }
    /// `-Version` (`System.Version`)
    pub fn version(mut self, value: impl Into<__rt::Version>) -> Self {
        let call = &mut self.call;
        call.param("Version", __rt::to_value::<__rt::Version>(value.into()));
        self
    }
    /// `-Uri` (`System.Uri`)
    pub fn uri(mut self, value: impl Into<__rt::Uri>) -> Self {
        let call = &mut self.call;
        call.param("Uri", __rt::to_value::<__rt::Uri>(value.into()));
        self
    }
    /// `-Secret` (`System.Security.SecureString`)
    pub fn secret(mut self, value: __rt::SecureString) -> Self {
        let call = &mut self.call;
        call.secure_string("Secret", value);
        self
    }
    /// `-Count` (`System.Nullable`1[System.Int32]`)
    pub fn count(mut self, value: impl Into<i32>) -> Self {
        let call = &mut self.call;
        call.param("Count", __rt::to_value::<i32>(value.into()));
        self
    }
    /// `-Ratio` (`System.Double`)
    pub fn ratio(mut self, value: impl Into<f64>) -> Self {
        let call = &mut self.call;
        call.param("Ratio", __rt::to_value::<f64>(value.into()));
        self
    }
    /// `-Culture` (`System.Globalization.CultureInfo`)
    pub fn culture(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Culture", __rt::to_value::<String>(value.into()));
        self
    }
    /// `-Attributes` (`System.IO.FileAttributes`)
    pub fn attributes(
        mut self,
        value: impl IntoIterator<Item = FileAttributes>,
    ) -> Self {
        let call = &mut self.call;
        call.param("Attributes", __rt::flags::<FileAttributes, _>(value));
        self
    }
    /// `-Extra` (`System.Object[]`)
    ///
    /// takes the remaining arguments
    pub fn extra(mut self, value: impl IntoIterator<Item = impl __rt::ToValue>) -> Self {
        let call = &mut self.call;
        call.param("Extra", __rt::values(value));
        self
    }
    /// `-Weird` (`untyped`)
    pub fn weird(mut self, value: impl __rt::ToValue) -> Self {
        let call = &mut self.call;
        call.param("Weird", __rt::ToValue::to_value(&value));
        self
    }
    /// `-Code` (`System.String`)
    ///
    /// count 1..=3 (checked by the server); must match `^[A-Z]{3}$` (checked by the server)
    pub fn code(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Code", __rt::to_value::<String>(value.into()));
        self
    }
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(mut self, items: impl IntoIterator<Item = impl __rt::ToValue>) -> Self {
        let call = &mut self.call;
        call.input(__rt::value_items(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(self) -> ::core::result::Result<Vec<__rt::Value>, __rt::Error> {
        self.call.invoke::<__rt::Value>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<__rt::Value> {
        self.call.stream::<__rt::Value>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<__rt::Value>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<__rt::Value>::start(self.call).pipe(next)
    }
}
impl __rt::CommonParameters for NewThing {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for NewThing {
    type Output = __rt::Value;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
impl<T> __rt::Accepts<T> for NewThing {}
/// Builder for `Set-Service` (parameter set `Name`); run it with [`SetService::invoke`] or [`SetService::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct SetService<S = __rt::Ready> {
    call: __rt::Call,
    state: ::core::marker::PhantomData<S>,
}
#[allow(clippy::should_implement_trait)]
impl<S> SetService<S> {
    /// `-StartupType` (`System.ServiceProcess.ServiceStartMode`)
    ///
    /// aliases: StartMode, SM, ST
    pub fn startup_type(mut self, value: impl Into<ServiceStartMode>) -> Self {
        let call = &mut self.call;
        call.param("StartupType", __rt::to_value::<ServiceStartMode>(value.into()));
        self
    }
    /// `-Status` (`System.String`)
    pub fn status(mut self, value: impl Into<SetServiceStatus>) -> Self {
        let call = &mut self.call;
        call.param("Status", __rt::to_value::<SetServiceStatus>(value.into()));
        self
    }
    /// `-Description` (`System.String`)
    ///
    /// length 0..=1024 (checked by the server)
    pub fn description(mut self, value: impl Into<String>) -> Self {
        let call = &mut self.call;
        call.param("Description", __rt::to_value::<String>(value.into()));
        self
    }
    /// `-Credential` (`System.Management.Automation.PSCredential`)
    pub fn credential(mut self, value: __rt::PsCredential) -> Self {
        let call = &mut self.call;
        call.credential("Credential", value);
        self
    }
}
#[allow(clippy::should_implement_trait)]
impl SetService {
    /// Pipeline input: each item is bound to the parameter that takes pipeline
    /// input (by value, or by property name).
    pub fn input(mut self, items: impl IntoIterator<Item = impl __rt::ToValue>) -> Self {
        let call = &mut self.call;
        call.input(__rt::value_items(items));
        self
    }
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<ServiceController>, __rt::Error> {
        self.call.invoke::<ServiceController>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<ServiceController> {
        self.call.stream::<ServiceController>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<ServiceController>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<ServiceController>::start(self.call).pipe(next)
    }
}
impl<S> __rt::CommonParameters for SetService<S> {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for SetService<__rt::Piped> {
    type Output = ServiceController;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
impl __rt::Accepts<ServiceController> for SetService<__rt::Piped> {}
/// Builder for `Stop-Service` (parameter set `InputObject`); run it with [`StopService::invoke`] or [`StopService::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct StopService<S = __rt::Ready> {
    call: __rt::Call,
    state: ::core::marker::PhantomData<S>,
}
#[allow(clippy::should_implement_trait)]
impl<S> StopService<S> {
    /// `-Force` (`System.Management.Automation.SwitchParameter`)
    pub fn force(mut self) -> Self {
        self.call.switch("Force");
        self
    }
    /// `-PassThru` (`System.Management.Automation.SwitchParameter`)
    pub fn pass_thru(mut self) -> Self {
        self.call.switch("PassThru");
        self
    }
    /// `-WhatIf` (`System.Management.Automation.SwitchParameter`)
    ///
    /// aliases: wi
    pub fn what_if(mut self) -> Self {
        self.call.switch("WhatIf");
        self
    }
    /// `-Confirm` (`System.Management.Automation.SwitchParameter`)
    ///
    /// aliases: cf
    pub fn confirm(mut self) -> Self {
        self.call.switch("Confirm");
        self
    }
}
#[allow(clippy::should_implement_trait)]
impl StopService {
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<ServiceController>, __rt::Error> {
        self.call.invoke::<ServiceController>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<ServiceController> {
        self.call.stream::<ServiceController>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<ServiceController>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<ServiceController>::start(self.call).pipe(next)
    }
}
impl<S> __rt::CommonParameters for StopService<S> {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for StopService<__rt::Piped> {
    type Output = ServiceController;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
impl __rt::Accepts<ServiceController> for StopService<__rt::Piped> {}
/// Builder for `Stop-Service` (parameter set `Default`); run it with [`StopServiceByDefault::invoke`] or [`StopServiceByDefault::stream`].
#[must_use = "a command runs only when invoked"]
#[derive(Debug, Clone)]
pub struct StopServiceByDefault<S = __rt::Ready> {
    call: __rt::Call,
    state: ::core::marker::PhantomData<S>,
}
#[allow(clippy::should_implement_trait)]
impl<S> StopServiceByDefault<S> {
    /// `-Force` (`System.Management.Automation.SwitchParameter`)
    pub fn force(mut self) -> Self {
        self.call.switch("Force");
        self
    }
    /// `-PassThru` (`System.Management.Automation.SwitchParameter`)
    pub fn pass_thru(mut self) -> Self {
        self.call.switch("PassThru");
        self
    }
}
#[allow(clippy::should_implement_trait)]
impl StopServiceByDefault {
    /// Runs the command and collects its output.
    pub async fn invoke(
        self,
    ) -> ::core::result::Result<Vec<ServiceController>, __rt::Error> {
        self.call.invoke::<ServiceController>().await
    }
    /// Runs the command, yielding output and the other streams as they arrive.
    pub fn stream(self) -> __rt::EventStream<ServiceController> {
        self.call.stream::<ServiceController>()
    }
    /// The call this builder made (the command with its parameters and input).
    pub fn into_call(self) -> __rt::Call {
        self.call
    }
    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
    /// when `next` has a pipeline-input parameter that can bind this output.
    pub fn pipe<D: __rt::Stage + __rt::Accepts<ServiceController>>(
        self,
        next: D,
    ) -> __rt::Pipeline<D::Output> {
        __rt::Pipeline::<ServiceController>::start(self.call).pipe(next)
    }
}
impl<S> __rt::CommonParameters for StopServiceByDefault<S> {
    fn call_mut(&mut self) -> &mut __rt::Call {
        &mut self.call
    }
}
impl __rt::Stage for StopServiceByDefault<__rt::Piped> {
    type Output = ServiceController;
    fn into_stage_call(self) -> __rt::Call {
        self.call
    }
}
impl __rt::Accepts<ServiceController> for StopServiceByDefault<__rt::Piped> {}
/// `Microsoft.PowerShell.Commands.FileSystemCmdletProviderEncoding`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileSystemCmdletProviderEncoding {
    /// `Unknown`
    Unknown,
    /// `String`
    String,
    /// `Unicode`
    Unicode,
    /// `UTF8`
    Utf8,
    /// `Ascii`
    Ascii,
    /// A value not in this catalog (the server may know more values than it listed).
    Other(String),
}
impl FileSystemCmdletProviderEncoding {
    /// The text PowerShell accepts for this value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown => "Unknown",
            Self::String => "String",
            Self::Unicode => "Unicode",
            Self::Utf8 => "UTF8",
            Self::Ascii => "Ascii",
            Self::Other(s) => s,
        }
    }
    /// The value named `s` (case-insensitive, like PowerShell), else the escape variant.
    pub fn from_name(s: &str) -> Self {
        match s.to_lowercase().as_str() {
            "unknown" => Self::Unknown,
            "string" => Self::String,
            "unicode" => Self::Unicode,
            "utf8" => Self::Utf8,
            "ascii" => Self::Ascii,
            _ => Self::Other(s.to_owned()),
        }
    }
}
impl ::core::fmt::Display for FileSystemCmdletProviderEncoding {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.as_str())
    }
}
impl __rt::ToValue for FileSystemCmdletProviderEncoding {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::String(self.as_str().to_owned())
    }
}
impl __rt::FromValue for FileSystemCmdletProviderEncoding {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        Ok(Self::from_name(&__rt::enum_text(v)))
    }
}
/// `System.IO.DirectoryInfo`: the catalog lists no properties for it; the object is kept as received.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DirectoryInfo {
    /// The object as received: type names and every property, the ones not listed
    /// above included.
    pub object: __rt::Object,
}
impl DirectoryInfo {
    /// The .NET type name (received objects carry it with a `Deserialized.` prefix).
    pub const TYPE_NAME: &'static str = "System.IO.DirectoryInfo";
}
impl __rt::FromValue for DirectoryInfo {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        let object = __rt::object(v);
        Ok(Self { object })
    }
}
impl __rt::ToValue for DirectoryInfo {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::Object(self.object.clone())
    }
}
/// `System.IO.FileAttributes` (flags: pass several values).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileAttributes {
    /// `ReadOnly`
    ReadOnly,
    /// `Hidden`
    Hidden,
    /// `System`
    System,
    /// `Directory`
    Directory,
    /// `Archive`
    Archive,
    /// `Other`
    Other,
    /// A value not in this catalog (the server may know more values than it listed).
    OtherValue(String),
}
impl FileAttributes {
    /// The text PowerShell accepts for this value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ReadOnly => "ReadOnly",
            Self::Hidden => "Hidden",
            Self::System => "System",
            Self::Directory => "Directory",
            Self::Archive => "Archive",
            Self::Other => "Other",
            Self::OtherValue(s) => s,
        }
    }
    /// The value named `s` (case-insensitive, like PowerShell), else the escape variant.
    pub fn from_name(s: &str) -> Self {
        match s.to_lowercase().as_str() {
            "readonly" => Self::ReadOnly,
            "hidden" => Self::Hidden,
            "system" => Self::System,
            "directory" => Self::Directory,
            "archive" => Self::Archive,
            "other" => Self::Other,
            _ => Self::OtherValue(s.to_owned()),
        }
    }
}
impl ::core::fmt::Display for FileAttributes {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.as_str())
    }
}
impl __rt::ToValue for FileAttributes {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::String(self.as_str().to_owned())
    }
}
impl __rt::FromValue for FileAttributes {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        Ok(Self::from_name(&__rt::enum_text(v)))
    }
}
/// `System.IO.FileInfo`: the catalog lists no properties for it; the object is kept as received.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FileInfo {
    /// The object as received: type names and every property, the ones not listed
    /// above included.
    pub object: __rt::Object,
}
impl FileInfo {
    /// The .NET type name (received objects carry it with a `Deserialized.` prefix).
    pub const TYPE_NAME: &'static str = "System.IO.FileInfo";
}
impl __rt::FromValue for FileInfo {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        let object = __rt::object(v);
        Ok(Self { object })
    }
}
impl __rt::ToValue for FileInfo {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::Object(self.object.clone())
    }
}
/// `System.ServiceProcess.ServiceController`, decoded leniently: a property that is missing or of another type is `None`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServiceController {
    /// `Name` (`System.String`)
    pub name: Option<String>,
    /// `DisplayName` (`System.String`)
    pub display_name: Option<String>,
    /// `Status` (`System.ServiceProcess.ServiceControllerStatus`)
    pub status: Option<ServiceControllerStatus>,
    /// `StartType` (`System.ServiceProcess.ServiceStartMode`)
    pub start_type: Option<ServiceStartMode>,
    /// `CanStop` (`System.Boolean`)
    pub can_stop: Option<bool>,
    /// `DependentServices` (`System.ServiceProcess.ServiceController[]`)
    pub dependent_services: Option<Vec<ServiceController>>,
    /// `ServiceHandle` (`System.Runtime.InteropServices.SafeHandle`)
    pub service_handle: Option<__rt::Value>,
    /// The object as received: type names and every property, the ones not listed
    /// above included.
    pub object: __rt::Object,
}
impl ServiceController {
    /// The .NET type name (received objects carry it with a `Deserialized.` prefix).
    pub const TYPE_NAME: &'static str = "System.ServiceProcess.ServiceController";
}
impl __rt::FromValue for ServiceController {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        let object = __rt::object(v);
        Ok(Self {
            name: __rt::prop(&object, "Name"),
            display_name: __rt::prop(&object, "DisplayName"),
            status: __rt::prop(&object, "Status"),
            start_type: __rt::prop(&object, "StartType"),
            can_stop: __rt::prop(&object, "CanStop"),
            dependent_services: __rt::prop_list(&object, "DependentServices"),
            service_handle: __rt::prop(&object, "ServiceHandle"),
            object,
        })
    }
}
impl __rt::ToValue for ServiceController {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::Object(self.object.clone())
    }
}
/// `System.ServiceProcess.ServiceControllerStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ServiceControllerStatus {
    /// `Stopped`
    Stopped,
    /// `StartPending`
    StartPending,
    /// `StopPending`
    StopPending,
    /// `Running`
    Running,
    /// `ContinuePending`
    ContinuePending,
    /// `PausePending`
    PausePending,
    /// `Paused`
    Paused,
    /// A value not in this catalog (the server may know more values than it listed).
    Other(String),
}
impl ServiceControllerStatus {
    /// The text PowerShell accepts for this value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Stopped => "Stopped",
            Self::StartPending => "StartPending",
            Self::StopPending => "StopPending",
            Self::Running => "Running",
            Self::ContinuePending => "ContinuePending",
            Self::PausePending => "PausePending",
            Self::Paused => "Paused",
            Self::Other(s) => s,
        }
    }
    /// The value named `s` (case-insensitive, like PowerShell), else the escape variant.
    pub fn from_name(s: &str) -> Self {
        match s.to_lowercase().as_str() {
            "stopped" => Self::Stopped,
            "startpending" => Self::StartPending,
            "stoppending" => Self::StopPending,
            "running" => Self::Running,
            "continuepending" => Self::ContinuePending,
            "pausepending" => Self::PausePending,
            "paused" => Self::Paused,
            _ => Self::Other(s.to_owned()),
        }
    }
}
impl ::core::fmt::Display for ServiceControllerStatus {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.as_str())
    }
}
impl __rt::ToValue for ServiceControllerStatus {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::String(self.as_str().to_owned())
    }
}
impl __rt::FromValue for ServiceControllerStatus {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        Ok(Self::from_name(&__rt::enum_text(v)))
    }
}
/// `System.ServiceProcess.ServiceStartMode`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ServiceStartMode {
    /// `Boot`
    Boot,
    /// `System`
    System,
    /// `Automatic`
    Automatic,
    /// `Manual`
    Manual,
    /// `Disabled`
    Disabled,
    /// A value not in this catalog (the server may know more values than it listed).
    Other(String),
}
impl ServiceStartMode {
    /// The text PowerShell accepts for this value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Boot => "Boot",
            Self::System => "System",
            Self::Automatic => "Automatic",
            Self::Manual => "Manual",
            Self::Disabled => "Disabled",
            Self::Other(s) => s,
        }
    }
    /// The value named `s` (case-insensitive, like PowerShell), else the escape variant.
    pub fn from_name(s: &str) -> Self {
        match s.to_lowercase().as_str() {
            "boot" => Self::Boot,
            "system" => Self::System,
            "automatic" => Self::Automatic,
            "manual" => Self::Manual,
            "disabled" => Self::Disabled,
            _ => Self::Other(s.to_owned()),
        }
    }
}
impl ::core::fmt::Display for ServiceStartMode {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.as_str())
    }
}
impl __rt::ToValue for ServiceStartMode {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::String(self.as_str().to_owned())
    }
}
impl __rt::FromValue for ServiceStartMode {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        Ok(Self::from_name(&__rt::enum_text(v)))
    }
}
/// Values of a `[ValidateSet]`: Running, Stopped, Paused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SetServiceStatus {
    /// `Running`
    Running,
    /// `Stopped`
    Stopped,
    /// `Paused`
    Paused,
    /// A value not in this catalog (the server may know more values than it listed).
    Other(String),
}
impl SetServiceStatus {
    /// The text PowerShell accepts for this value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Running => "Running",
            Self::Stopped => "Stopped",
            Self::Paused => "Paused",
            Self::Other(s) => s,
        }
    }
    /// The value named `s` (case-insensitive, like PowerShell), else the escape variant.
    pub fn from_name(s: &str) -> Self {
        match s.to_lowercase().as_str() {
            "running" => Self::Running,
            "stopped" => Self::Stopped,
            "paused" => Self::Paused,
            _ => Self::Other(s.to_owned()),
        }
    }
}
impl ::core::fmt::Display for SetServiceStatus {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.as_str())
    }
}
impl __rt::ToValue for SetServiceStatus {
    fn to_value(&self) -> __rt::Value {
        __rt::Value::String(self.as_str().to_owned())
    }
}
impl __rt::FromValue for SetServiceStatus {
    fn from_value(
        v: &__rt::Value,
    ) -> ::core::result::Result<Self, __rt::ConversionError> {
        Ok(Self::from_name(&__rt::enum_text(v)))
    }
}
