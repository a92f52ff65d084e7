//! The command line, as clap derive structures. Flag names follow the PowerShell cmdlets a
//! remoting user already knows (`Invoke-Command`, `Enter-PSSession`, `New-PSSessionOption`,
//! `Import-PSSession`, `Export-PSSession`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// PowerShell remoting (MS-PSRP over WS-Management and SSH) from the command line.
#[derive(Debug, Parser)]
#[command(name = "psremote", version, about, propagate_version = true)]
#[command(after_help = "Examples:\n  \
    psremote invoke -C server01,server02 'Get-UICulture'\n  \
    psremote invoke -C server01 -f .\\DiskCollect.ps1\n  \
    psremote invoke -C server01 --command Get-Service -p Name=WinRM\n  \
    psremote enter server01\n  \
    psremote wsman get server01 winrm/config")]
pub struct Cli {
    #[command(flatten)]
    pub conn: ConnectionArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a script block, a local script file or a command on one or many computers
    /// (Invoke-Command).
    Invoke(InvokeArgs),
    /// Start an interactive session with one computer (Enter-PSSession).
    Enter(EnterArgs),
    /// Browse the WS-Management configuration (the WSMan: drive).
    Wsman(WsmanArgs),
    /// Convert between CLIXML and its JSON view.
    Clixml(ClixmlArgs),
    /// List the commands a remote session offers (Get-Command through the codegen discovery).
    Commands(CommandsArgs),
    /// Fetch a remote catalog's command metadata into a cache file, or check it for drift.
    Metadata(MetadataArgs),
    /// Write a Rust crate of typed stubs for remote commands (Export-PSSession).
    Export(ExportArgs),
}

/// How to reach the computers. Global: accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Computers to connect to: names, `host:port`, or WS-Man URIs
    /// (`https://host:5986/wsman`); comma separated or repeated. With --ssh: `[user@]host[:port]`.
    #[arg(
        short = 'C',
        long = "computer-name",
        alias = "cn",
        value_delimiter = ',',
        global = true,
        value_name = "COMPUTER"
    )]
    pub computer_name: Vec<String>,

    /// TCP port (default 5985, or 5986 with --https, or 22 with --ssh).
    #[arg(long, global = true)]
    pub port: Option<u16>,

    /// Use HTTPS (WinRM's port 5986) instead of HTTP (-UseSSL).
    #[arg(long, alias = "use-ssl", global = true)]
    pub https: bool,

    /// Authentication mechanism (-Authentication).
    #[arg(long, value_enum, global = true, default_value_t = AuthArg::Negotiate)]
    pub auth: AuthArg,

    /// User name (`user`, `DOMAIN\user` or `user@REALM`); also read from PSREMOTE_USER.
    #[arg(
        short = 'u',
        long = "user",
        alias = "credential",
        env = "PSREMOTE_USER",
        global = true
    )]
    pub user: Option<String>,

    /// Read the password from the first line of standard input. Otherwise it comes from
    /// PSREMOTE_PASSWORD, or a prompt without echo.
    #[arg(long, global = true)]
    pub password_stdin: bool,

    /// Session configuration (endpoint) name, e.g. `Microsoft.PowerShell` or a JEA endpoint.
    #[arg(long, alias = "configuration", global = true, value_name = "NAME")]
    pub configuration_name: Option<String>,

    /// Trust the CA certificates in this PEM file for HTTPS.
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Do not verify the server's TLS certificate (-SkipCACheck -SkipCNCheck). Unsafe.
    #[arg(long, global = true)]
    pub insecure_skip_verify: bool,

    /// Allow Basic authentication over plain HTTP (WinRM's AllowUnencrypted).
    #[arg(long, global = true)]
    pub allow_unencrypted: bool,

    /// Client certificate (PEM) for --auth certificate.
    #[arg(long, global = true, value_name = "PEM")]
    pub cert: Option<PathBuf>,

    /// Private key (PEM) of the client certificate.
    #[arg(long, global = true, value_name = "PEM")]
    pub key: Option<PathBuf>,

    /// How many computers to work on at once (-ThrottleLimit).
    #[arg(long, global = true, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub throttle: u32,

    /// Connect over SSH (`ssh [-p port] [user@]host -s powershell`, PowerShell's -HostName).
    #[arg(long, global = true)]
    pub ssh: bool,

    /// SSH private key file (-KeyFilePath), with --ssh.
    #[arg(long, global = true, value_name = "FILE")]
    pub ssh_key: Option<PathBuf>,

    /// An ssh `-o` option (`StrictHostKeyChecking=no`, …), with --ssh; repeatable.
    #[arg(long = "ssh-option", global = true, value_name = "KEY=VALUE")]
    pub ssh_options: Vec<String>,

    /// Seconds a single WS-Man operation may take (-OperationTimeout).
    #[arg(long, global = true, value_name = "SECS")]
    pub operation_timeout: Option<f64>,

    /// Seconds to wait for a connection and the runspace pool to open (-OpenTimeout).
    #[arg(long, global = true, value_name = "SECS")]
    pub connect_timeout: Option<f64>,

    /// Seconds a reply may take beyond --operation-timeout before the request is given up
    /// (a stalled server surfaces after operation timeout + this).
    #[arg(long, global = true, value_name = "SECS")]
    pub request_grace: Option<f64>,

    /// The name the server's TLS certificate must carry, when it differs from the host given
    /// (connecting by IP address, or through a tunnel).
    #[arg(long, global = true, value_name = "NAME")]
    pub tls_server_name: Option<String>,

    /// HTTP proxy for WS-Man (`http://proxy:3128`; -ProxyAccessType).
    #[arg(long, global = true, value_name = "URL")]
    pub proxy: Option<String>,

    /// Kerberos: the KDC (`host`, `host:port`, `tcp://…`, `udp://…` or a KDC proxy URL), instead
    /// of krb5.conf / DNS.
    #[arg(long, global = true, value_name = "KDC")]
    pub kdc: Option<String>,

    /// Kerberos: the realm of a user name given without one.
    #[arg(long, global = true, value_name = "REALM")]
    pub realm: Option<String>,

    /// Kerberos: the host name in the service principal (`HTTP/<name>`), when it differs from
    /// the host connected to.
    #[arg(long, global = true, value_name = "NAME")]
    pub spn_host: Option<String>,
}

/// `--auth` values (-Authentication).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    Basic,
    Negotiate,
    Ntlm,
    Kerberos,
    Certificate,
}

#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// Script block text to run (-ScriptBlock).
    #[arg(short = 'c', long = "script-block", alias = "script", value_name = "SCRIPT",
          conflicts_with_all = ["file_path", "command"])]
    pub script_block: Option<String>,

    /// A local script file whose text runs remotely (-FilePath).
    #[arg(short = 'f', long = "file-path", alias = "file", value_name = "FILE",
          conflicts_with_all = ["script_block", "command"])]
    pub file_path: Option<PathBuf>,

    /// Run one command by name, with named parameters from -p (no script text is sent, so this
    /// works on NoLanguage / JEA endpoints).
    #[arg(long = "command", value_name = "NAME", conflicts_with_all = ["script_block", "file_path"])]
    pub command: Option<String>,

    /// A named parameter for --command: `Name=Value` (values read as PowerShell literals:
    /// 42, 1.5, $true, $false, $null, a,b,c, 'text'), or `Name` alone for a switch.
    #[arg(
        short = 'p',
        long = "parameter",
        value_name = "NAME=VALUE",
        requires = "command"
    )]
    pub parameters: Vec<String>,

    /// Arguments for the script's param() block (-ArgumentList), read as PowerShell literals.
    #[arg(long = "args", alias = "argument-list", num_args = 1.., value_name = "ARG",
          allow_hyphen_values = true)]
    pub args: Vec<String>,

    /// Emit NDJSON (one JSON object per output item, with PSComputerName) instead of tables.
    #[arg(long)]
    pub json: bool,

    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,

    /// The script block, when not given with -c (`psremote invoke -C a,b 'Get-UICulture'`).
    #[arg(value_name = "SCRIPT", conflicts_with_all = ["script_block", "file_path", "command"])]
    pub script: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct EnterArgs {
    /// The computer (or use -C with one name).
    #[arg(value_name = "COMPUTER")]
    pub host: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct WsmanArgs {
    #[command(subcommand)]
    pub op: WsmanOp,
}

#[derive(Debug, Clone, Subcommand)]
pub enum WsmanOp {
    /// WS-Man Identify (Test-WSMan): protocol version, vendor, product version.
    Identify {
        #[arg(value_name = "COMPUTER")]
        host: Option<String>,
        /// Send the unauthenticated Identify (Test-WSMan without -Authentication).
        #[arg(long)]
        unauthenticated: bool,
        /// Print JSON instead of XML.
        #[arg(long)]
        json: bool,
    },
    /// WS-Transfer Get of one resource (Get-WSManInstance), e.g. `winrm/config`.
    Get {
        #[arg(value_name = "COMPUTER")]
        host: Option<String>,
        /// Resource URI; short forms such as `winrm/config/service` are expanded.
        #[arg(value_name = "RESOURCE_URI", default_value = "winrm/config")]
        resource_uri: String,
        /// Selector `Name=Value` (repeatable).
        #[arg(long = "selector", value_name = "NAME=VALUE")]
        selectors: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// WS-Enumeration of a resource (Get-WSManInstance -Enumerate), e.g. `winrm/config/listener`.
    Enumerate {
        #[arg(value_name = "COMPUTER")]
        host: Option<String>,
        #[arg(value_name = "RESOURCE_URI", default_value = "winrm/config/listener")]
        resource_uri: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ClixmlArgs {
    #[command(subcommand)]
    pub op: ClixmlOp,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ClixmlOp {
    /// CLIXML (a file, `-` for stdin) → JSON: an array of the top-level values.
    Decode {
        #[arg(value_name = "FILE", default_value = "-")]
        input: String,
        /// One JSON value per line instead of a pretty array.
        #[arg(long)]
        ndjson: bool,
    },
    /// JSON (an array of values, or one value per line) → a CLIXML `<Objs>` document.
    Encode {
        #[arg(value_name = "FILE", default_value = "-")]
        input: String,
    },
}

/// Import-PSSession's filters, shared by `commands`, `metadata` and `export`.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Command names, wildcards allowed (-CommandName); comma separated or repeated.
    #[arg(
        long = "name",
        alias = "command-name",
        value_delimiter = ',',
        value_name = "PATTERN"
    )]
    pub names: Vec<String>,
    /// Modules (-Module).
    #[arg(long = "module", value_delimiter = ',', value_name = "MODULE")]
    pub modules: Vec<String>,
    /// Command types (-CommandType): Cmdlet, Function, Alias, …
    #[arg(long = "command-type", value_delimiter = ',', value_name = "TYPE")]
    pub command_types: Vec<String>,
    /// Where the metadata comes from: the rich discovery script or the protocol's
    /// GET_COMMAND_METADATA (default: discovery, falling back to protocol on NoLanguage endpoints).
    #[arg(long, value_enum)]
    pub source: Option<SourceArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    Protocol,
    Discovery,
}

#[derive(Debug, Clone, Args)]
pub struct CommandsArgs {
    #[arg(value_name = "COMPUTER")]
    pub host: Option<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Print the type-fidelity report of the generated stubs for these commands.
    #[arg(long)]
    pub fidelity: bool,
    /// Print the metadata as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MetadataArgs {
    #[arg(value_name = "COMPUTER")]
    pub host: Option<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// The cache file, e.g. `.psremote/NAME.json`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Compare the cache with the live endpoint; exit 1 with a diff when they differ.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[arg(value_name = "COMPUTER")]
    pub host: Option<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Directory of the crate to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Prefix for the generated names (-Prefix).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Name of the generated crate (default: the directory name).
    #[arg(long = "crate-name", value_name = "NAME")]
    pub crate_name: Option<String>,
    /// Depend on the runtime by path instead of by version (while it is unpublished).
    #[arg(long, value_name = "PATH")]
    pub runtime_path: Option<PathBuf>,
    /// Generate from a cached metadata file instead of a live endpoint (works offline).
    #[arg(long, value_name = "FILE")]
    pub from_metadata: Option<PathBuf>,
}
