//! The `psremote` binary against the loopback endpoint (tests/peer): the seed's examples
//! verbatim, NDJSON, error lines and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use psremote_test_support::{PASSWORD, Peer, USER};

fn psremote() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_psremote"));
    c.env("PSREMOTE_USER", USER)
        .env("PSREMOTE_PASSWORD", PASSWORD)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    c
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start psremote");
    if let Some(text) = stdin {
        let mut i = child.stdin.take().expect("stdin");
        i.write_all(text.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("psremote output")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// At most this many endpoints (Python processes) at once: the test threads would otherwise
/// start one per test and starve a 2-core machine into timeouts.
const MAX_PEERS: usize = 3;
static PEERS: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

/// A running endpoint holding one of the `MAX_PEERS` slots until dropped.
struct TestPeer {
    peer: Peer,
}

impl std::ops::Deref for TestPeer {
    type Target = Peer;
    fn deref(&self) -> &Peer {
        &self.peer
    }
}

impl Drop for TestPeer {
    fn drop(&mut self) {
        let (lock, cv) = &PEERS;
        let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        cv.notify_one();
    }
}

fn start_peer(args: &[&str]) -> TestPeer {
    let (lock, cv) = &PEERS;
    {
        let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= MAX_PEERS {
            n = cv.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
    }
    match Peer::start(args) {
        Ok(peer) => TestPeer { peer },
        Err(e) => {
            let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
            *n = n.saturating_sub(1);
            cv.notify_one();
            panic!("the loopback endpoint did not start ({e}); run scripts/setup.sh");
        }
    }
}

fn peer(extra: &[&str]) -> TestPeer {
    let mut args = vec!["--allow-unencrypted", "--auth", "basic"];
    args.extend_from_slice(extra);
    start_peer(&args)
}

/// `-C 127.0.0.1:PORT` for the i-th HTTP port of the endpoint.
fn target(p: &TestPeer, i: usize) -> String {
    format!("127.0.0.1:{}", p.ready.http_ports[i])
}

/// The user-facing failure never shows Rust internals.
fn assert_no_internals(stderr: &str) {
    for bad in [
        "panicked",
        "RUST_BACKTRACE",
        "Error {",
        "Wsman(",
        "Some(",
        "stack backtrace",
    ] {
        assert!(
            !stderr.contains(bad),
            "internal detail {bad:?} in stderr:\n{stderr}"
        );
    }
}

#[test]
fn seed_get_uiculture_on_two_computers() {
    let p = peer(&["--listen-count", "2"]);
    let (a, b) = (target(&p, 0), target(&p, 1));
    let out = run(
        psremote().args([
            "invoke",
            "-C",
            &format!("{a},{b}"),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "get-UICulture",
        ]),
        None,
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        4,
        "header, dashes and one row per computer:\n{stdout}"
    );
    assert!(
        lines[0].starts_with("LCID             Name             DisplayName")
            && lines[0].ends_with("PSComputerName"),
        "CultureInfo view with PSComputerName: {}",
        lines[0]
    );
    assert!(lines[1].starts_with("----             ----             -----------"));
    let mut rows: Vec<&str> = lines[2..].to_vec();
    rows.sort();
    let mut hosts = [a.clone(), b.clone()];
    hosts.sort();
    for (row, host) in rows.iter().zip(hosts.iter()) {
        assert!(row.starts_with("1033             en-US            English (United States)"));
        assert!(
            row.trim_end().ends_with(host.as_str()),
            "row {row:?} tagged {host}"
        );
    }
}

#[test]
fn seed_script_file_runs_remotely() {
    let p = peer(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("DiskCollect.ps1");
    std::fs::write(
        &script,
        "# DiskCollect.ps1: fixed disks and their free space\r\n\
         param([int]$DriveType = 3)\r\n\
         Get-WmiObject -Class Win32_LogicalDisk |\r\n\
             Where-Object { $_.DriveType -eq $DriveType } |\r\n\
             Select-Object DeviceID, FreeSpace, Size\r\n",
    )
    .expect("write script");
    let out = run(
        psremote()
            .args([
                "invoke",
                "-C",
                &target(&p, 0),
                "--auth",
                "basic",
                "--allow-unencrypted",
                "-f",
            ])
            .arg(&script)
            .args(["--args", "3"]),
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["DeviceID", "FreeSpace", "Size"]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("C:") && l.contains("61203587072"))
    );
    assert!(lines.iter().any(|l| l.starts_with("D:")));
}

#[test]
fn seed_persistent_state_in_enter_with_piped_input() {
    let p = peer(&[]);
    let out = run(
        psremote().args([
            "enter",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
        ]),
        Some(
            "$h = get-hotfix\n\
             $h | where {$_.installedby -ne \"NT AUTHORITY\\SYSTEM\"}\n\
             exit\n",
        ),
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.starts_with("[127.0.0.1]: PS> "),
        "prompt first:\n{stdout}"
    );
    assert_eq!(
        stdout.matches("[127.0.0.1]: PS> ").count(),
        3,
        "one prompt per line:\n{stdout}"
    );
    // The filter ran against the variable set by the line before: state persisted.
    assert!(stdout.contains("KB4589208"), "{stdout}");
    assert!(stdout.contains("KB5028951"), "{stdout}");
    assert!(
        !stdout.contains("KB5031364"),
        "SYSTEM's hotfixes filtered out:\n{stdout}"
    );
    assert!(
        stdout.contains(
            "Source        Description      HotFixID      InstalledBy          InstalledOn"
        )
    );
    assert!(stdout.contains("CONTOSO\\jsmith"));
}

#[test]
fn enter_shows_the_prompt_and_exits() {
    let p = peer(&[]);
    let out = run(
        psremote().args([
            "enter",
            "-C",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
        ]),
        Some("exit\n"),
    );
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "[127.0.0.1]: PS> ");
    // The shell was closed on exit: nothing left open on the endpoint.
    let stats = p.stats().expect("stats");
    assert_eq!(stats["shells_open"], 0, "{stats}");
}

#[test]
fn json_output_is_ndjson_with_computer_names() {
    let p = peer(&["--listen-count", "2"]);
    let (a, b) = (target(&p, 0), target(&p, 1));
    let out = run(
        psremote().args([
            "invoke",
            "-C",
            &format!("{a},{b}"),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "--json",
            "-c",
            "Get-UICulture; 'plain'",
        ]),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let computers: Vec<String> = lines
        .iter()
        .map(|j| {
            j.pointer("/ms/PSComputerName")
                .and_then(|c| c.as_str())
                .unwrap_or_else(|| panic!("no PSComputerName in {j}"))
                .to_string()
        })
        .collect();
    assert_eq!(computers.iter().filter(|c| **c == a).count(), 2);
    assert_eq!(computers.iter().filter(|c| **c == b).count(), 2);
    assert!(stdout.contains("System.Globalization.CultureInfo"));
    assert!(stdout.contains("\"plain\""));
}

#[test]
fn non_terminating_error_is_formatted_like_powershell_and_exit_is_one() {
    let p = peer(&[]);
    let out = run(
        psremote().args([
            "invoke",
            "-C",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "Get-HotFix -Id KB0000000",
        ]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("Cannot find the requested hotfix"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("    + CategoryInfo          : ObjectNotFound: ("),
        "{stderr}"
    );
    assert_eq!(
        lines[2],
        "    + FullyQualifiedErrorId : GetHotFixNoEntriesFound,Microsoft.PowerShell.Commands.GetHotFixCommand"
    );
    assert_no_internals(&stderr);
}

#[test]
fn parse_error_is_one_error_record() {
    let p = peer(&[]);
    let out = run(
        psremote().args([
            "invoke",
            "-C",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "-c",
            "Get-Date {",
        ]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("    + CategoryInfo          : ParserError"),
        "{stderr}"
    );
    assert!(
        stderr.contains("    + FullyQualifiedErrorId : "),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_no_internals(&stderr);
}

#[test]
fn one_unreachable_computer_does_not_stop_the_others() {
    let p = peer(&[]);
    // A port nothing listens on: bind one, then free it.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let good = target(&p, 0);
    let bad = format!("127.0.0.1:{dead}");
    let out = run(
        psremote().args([
            "invoke",
            "-C",
            &format!("{good},{bad}"),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "--connect-timeout",
            "5",
            "'still here'",
        ]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert_eq!(text(&out.stdout), "still here\n");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with(&format!("[{bad}] ")), "{stderr}");
    assert!(
        stderr.contains("hint:"),
        "a troubleshooting hint:\n{stderr}"
    );
    assert_no_internals(&stderr);
}

#[test]
fn refused_authentication_is_one_line_with_a_hint() {
    let p = peer(&[]);
    let out = run(
        psremote().env("PSREMOTE_PASSWORD", "wrong").args([
            "invoke",
            "-C",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "1",
        ]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.starts_with("[127.0.0.1] "), "{stderr}");
    assert!(stderr.to_lowercase().contains("auth"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert_no_internals(&stderr);
}

#[test]
fn basic_over_http_is_refused_unless_allowed() {
    let p = peer(&[]);
    let out = run(
        psremote().args(["invoke", "-C", &target(&p, 0), "--auth", "basic", "1"]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("Basic"), "{stderr}");
    assert!(stderr.contains("HTTPS"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_no_internals(&stderr);
}

#[test]
fn unknown_configuration_names_the_fix() {
    let p = peer(&[]);
    let out = run(
        psremote().args([
            "invoke",
            "-C",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "--configuration-name",
            "NoSuchEndpoint",
            "1",
        ]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.starts_with("[127.0.0.1] "), "{stderr}");
    assert!(stderr.to_lowercase().contains("configuration"), "{stderr}");
    assert_no_internals(&stderr);
}

#[test]
fn no_language_endpoint_refuses_scripts_but_runs_commands() {
    let p = peer(&[]);
    let base = |cmd: &mut Command| {
        cmd.env("PSREMOTE_USER", "restricted")
            .env("PSREMOTE_PASSWORD", "R3stricted!pass")
            .args([
                "invoke",
                "-C",
                &target(&p, 0),
                "--auth",
                "basic",
                "--allow-unencrypted",
                "--configuration-name",
                "Restricted",
            ]);
    };
    let mut script = psremote();
    base(&mut script);
    let out = run(script.args(["-c", "$x = 1; $x"]), None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("    + FullyQualifiedErrorId : "),
        "{stderr}"
    );
    assert_no_internals(&stderr);

    let mut cmd = psremote();
    base(&mut cmd);
    let out = run(
        cmd.args(["--command", "Get-Command", "-p", "Name=Get-Help"]),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Get-Help"));
}

#[test]
fn invoke_without_a_computer_says_what_to_do() {
    let out = run(psremote().args(["invoke", "Get-Date"]), None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("-C"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn clixml_decode_encode_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml = dir.path().join("in.xml");
    std::fs::write(
        &xml,
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\
         <Obj RefId=\"0\"><TN RefId=\"0\"><T>System.ServiceProcess.ServiceController</T>\
         <T>System.ComponentModel.Component</T><T>System.Object</T></TN>\
         <ToString>System.ServiceProcess.ServiceController</ToString>\
         <Props><S N=\"Name\">WinRM</S><I32 N=\"Status\">4</I32><B N=\"CanStop\">true</B></Props></Obj>\
         <S>line_x000A_two</S><I64>-5</I64><Nil /></Objs>",
    )
    .expect("write xml");
    let dec = run(psremote().arg("clixml").arg("decode").arg(&xml), None);
    assert_eq!(dec.status.code(), Some(0), "{}", text(&dec.stderr));
    let json: serde_json::Value = serde_json::from_slice(&dec.stdout).expect("JSON array");
    let arr = json.as_array().expect("array of top-level values");
    assert_eq!(arr.len(), 4);
    assert!(text(&dec.stdout).contains("System.ServiceProcess.ServiceController"));
    assert!(text(&dec.stdout).contains("WinRM"));

    let js = dir.path().join("values.json");
    std::fs::write(&js, &dec.stdout).expect("write json");
    let enc = run(psremote().arg("clixml").arg("encode").arg(&js), None);
    assert_eq!(enc.status.code(), Some(0), "{}", text(&enc.stderr));
    assert!(text(&enc.stdout).contains("<S N=\"Name\">WinRM</S>"));

    // decode(encode(decode(x))) == decode(x), through stdin this time.
    let again = run(
        psremote().args(["clixml", "decode", "-"]),
        Some(&text(&enc.stdout)),
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let json2: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(json, json2);
}

#[test]
fn clixml_bad_input_names_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml = dir.path().join("bad.xml");
    std::fs::write(
        &xml,
        "<Objs>\n  <S>ok</S>\n  <I32>notanumber</I32>\n</Objs>\n",
    )
    .expect("write");
    let out = run(psremote().arg("clixml").arg("decode").arg(&xml), None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let prefix = format!("psremote: {}:3:", xml.display());
    assert!(stderr.starts_with(&prefix), "line 3 named: {stderr}");
    assert!(out.stdout.is_empty());

    let js = dir.path().join("bad.json");
    std::fs::write(&js, "[\n  \"a\",\n  {\"broken\": }\n]\n").expect("write");
    let out = run(psremote().arg("clixml").arg("encode").arg(&js), None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!("psremote: {}:3:", js.display())),
        "{stderr}"
    );
}

#[test]
fn enter_answers_read_host_from_piped_input() {
    let p = peer(&[]);
    let out = run(
        psremote().args([
            "enter",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
        ]),
        Some("$n = Read-Host -Prompt \"Your name\"\nalice\n\"Hello $n\"\nexit\n"),
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert_eq!(
        stdout,
        "[127.0.0.1]: PS> Your name: [127.0.0.1]: PS> Hello alice\n[127.0.0.1]: PS> "
    );
}

#[test]
fn wsman_configuration_tree() {
    let p = peer(&[]);
    let t = target(&p, 0);
    let f = ["--auth", "basic", "--allow-unencrypted"];
    let out = run(
        psremote()
            .args(["wsman", "get", &t, "winrm/config/service"])
            .args(f),
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.starts_with("<cfg:Service"), "{stdout}");
    assert!(
        stdout.contains("\n  <cfg:AllowUnencrypted>"),
        "indented:\n{stdout}"
    );

    let out = run(
        psremote()
            .args(["wsman", "get", &t, "winrm/config", "--json"])
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(j["Config"]["MaxEnvelopeSizekb"].is_string(), "{j}");

    let out = run(
        psremote()
            .args(["wsman", "enumerate", &t, "winrm/config/listener", "--json"])
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let ports: Vec<String> = j
        .as_array()
        .expect("listeners")
        .iter()
        .filter_map(|l| l["Listener"]["Port"].as_str().map(str::to_string))
        .collect();
    assert!(ports.contains(&p.ready.http_ports[0].to_string()), "{j}");

    let out = run(
        psremote()
            .args(["wsman", "identify", &t, "--unauthenticated", "--json"])
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        j["ProtocolVersion"],
        "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
    );
}

#[test]
fn commands_metadata_drift_check_and_export() {
    let p = peer(&[]);
    let t = target(&p, 0);
    let f = ["--auth", "basic", "--allow-unencrypted"];
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join(".psremote/seed.json");

    let out = run(
        psremote()
            .args(["commands", &t, "--name", "Get-HotFix,Get-UICulture"])
            .args(f),
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("CommandType     Name"), "{stdout}");
    assert!(stdout.contains("Cmdlet          Get-HotFix"), "{stdout}");

    let out = run(
        psremote()
            .args(["commands", &t, "--name", "Get-Service", "--fidelity"])
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("mandatory parameters enforced at compile time"));

    let names = "Get-Service,Get-HotFix,Get-UICulture";
    let out = run(
        psremote()
            .args(["metadata", &t, "--name", names, "--out"])
            .arg(&cache)
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let catalog = psremote_codegen::Catalog::read(&cache).expect("a readable cache");
    assert_eq!(catalog.commands.len(), 3);
    assert_eq!(
        catalog.configuration_name.as_deref(),
        Some("Microsoft.PowerShell")
    );
    assert!(!catalog.catalog_hash.is_empty());

    let out = run(
        psremote()
            .args(["metadata", &t, "--name", names, "--check", "--out"])
            .arg(&cache)
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Drift: the live catalog (as filtered now) lacks a cached command.
    let out = run(
        psremote()
            .args([
                "metadata",
                &t,
                "--name",
                "Get-Service,Get-HotFix",
                "--check",
                "--out",
            ])
            .arg(&cache)
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("- command Get-UICulture"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains(&format!("psremote metadata {t} --out")));

    // Export offline from the cache: a crate with the cache beside it and no password.
    let crate_dir = dir.path().join("seed-remote");
    let runtime = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
    let out = run(
        psremote()
            .args(["export", "--from-metadata"])
            .arg(&cache)
            .arg("--out")
            .arg(&crate_dir)
            .arg("--runtime-path")
            .arg(&runtime),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lib = std::fs::read_to_string(crate_dir.join("src/lib.rs")).expect("lib.rs");
    let options = psremote_codegen::Options::default()
        .with_runtime_path("::psremote_runtime")
        .expect("path");
    let expected = psremote_codegen::generate_string(&catalog, &options);
    assert!(
        lib.ends_with(&expected),
        "lib.rs is the generator's output for the cache"
    );
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains("psremote-runtime = { path = "),
        "{manifest}"
    );
    assert!(crate_dir.join(".psremote/seed-remote.json").is_file());
    assert!(crate_dir.join("README.md").is_file());
    for entry in walk(&crate_dir) {
        let body = std::fs::read(&entry).expect("read");
        assert!(
            !String::from_utf8_lossy(&body).contains(PASSWORD),
            "password in {}",
            entry.display()
        );
    }

    // The same from the live endpoint.
    let live_dir = dir.path().join("live");
    let out = run(
        psremote()
            .args([
                "export",
                &t,
                "--name",
                "Get-UICulture",
                "--prefix",
                "Srv",
                "--out",
            ])
            .arg(&live_dir)
            .args(f),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lib = std::fs::read_to_string(live_dir.join("src/lib.rs")).expect("lib.rs");
    assert!(
        lib.contains("get_srv_uiculture") || lib.contains("get_srv_ui_culture"),
        "prefix applied"
    );
    let manifest = std::fs::read_to_string(live_dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains("psremote-runtime = \"0.1.0\""),
        "{manifest}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// `psremote enter` in a real pseudo-terminal (tmux): line editing, history, Ctrl-C at the
/// prompt clears the line, Ctrl-C during a pipeline stops it and keeps the session.
#[test]
fn enter_in_a_terminal() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED enter_in_a_terminal: tmux is not installed (apt-get install tmux)");
        return;
    }
    let p = peer(&[]);
    let name = format!("psremote-test-{}", std::process::id());
    let home = tempfile::tempdir().expect("home");
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux")
    };
    let cmd = format!(
        "env PSREMOTE_USER={USER} PSREMOTE_PASSWORD='{PASSWORD}' HOME='{}' {} enter {} --auth basic \
         --allow-unencrypted; echo EXITED=$?; sleep 60",
        home.path().display(),
        env!("CARGO_BIN_EXE_psremote"),
        target(&p, 0)
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &name,
        "-x",
        "150",
        "-y",
        "40",
        &cmd,
    ]);
    let screen = || text(&tmux(&["capture-pane", "-t", &name, "-p"]).stdout);
    let wait_for = |what: &str, secs: u64| -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < deadline {
            if screen().contains(what) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    // The REPL waits at an empty prompt: the last line on screen is the bare prompt.
    let wait_for_prompt = |secs: u64| -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < deadline {
            let shown = screen();
            if shown
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::trim_end)
                == Some("[127.0.0.1]: PS>")
            {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    let keys = |k: &[&str]| {
        let mut a = vec!["send-keys", "-t", name.as_str()];
        a.extend_from_slice(k);
        tmux(&a);
    };
    // Prompts printed so far, scrollback included.
    let prompts = || {
        text(&tmux(&["capture-pane", "-t", &name, "-p", "-S", "-"]).stdout)
            .lines()
            .filter(|l| l.starts_with("[127.0.0.1]: PS>"))
            .count()
    };
    // Sends keys that end a line and waits until the REPL shows its next empty prompt, as a
    // person would before typing on (keys typed while a pipeline runs are not line input).
    let line_then_prompt = |k: &[&str]| -> bool {
        let before = prompts();
        keys(k);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if prompts() > before && wait_for_prompt(1) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    let ok = (|| {
        // capture-pane trims trailing blanks.
        if !wait_for("[127.0.0.1]: PS>", 30) {
            return Err("no prompt");
        }
        if !line_then_prompt(&["$h = get-hotfix", "Enter"]) {
            return Err("no prompt after the first line");
        }
        if !line_then_prompt(&[
            "$h | where {$_.installedby -ne \"NT AUTHORITY\\SYSTEM\"}",
            "Enter",
        ]) || !wait_for("KB5028951", 20)
        {
            return Err("no filtered hotfixes");
        }
        // Ctrl-C at the prompt drops the typed line.
        keys(&["Get-Date # never run", "C-c"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        if !wait_for_prompt(30) {
            return Err("no prompt after Ctrl-C");
        }
        keys(&["Start-Sleep -Seconds 60", "Enter"]);
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let started = std::time::Instant::now();
        if !line_then_prompt(&["C-c"]) {
            return Err("Ctrl-C did not return to the prompt");
        }
        if !line_then_prompt(&["\"still $(1+1) alive\"", "Enter"]) || !wait_for("still 2 alive", 20)
        {
            return Err("the session did not survive Ctrl-C");
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            return Err("Ctrl-C did not stop the pipeline");
        }
        // History: Up recalls the last line.
        if !line_then_prompt(&["Up", "Enter"]) {
            return Err("no prompt after the recalled line");
        }
        keys(&["exit", "Enter"]);
        if !wait_for("EXITED=0", 20) {
            return Err("exit did not end the session with 0");
        }
        Ok(())
    })();
    let last = screen();
    tmux(&["kill-session", "-t", &name]);
    if let Err(e) = ok {
        panic!("{e}; screen:\n{last}");
    }
    assert!(
        last.lines().filter(|l| *l == "still 2 alive").count() >= 2,
        "history recall ran it again:\n{last}"
    );
    // The line cleared with Ctrl-C never ran (Get-Date would print a long date).
    assert!(!last.contains("day, "), "{last}");
    assert!(!last.contains("KB5031364"), "{last}");
}

#[test]
fn remote_exception_with_password_from_stdin() {
    let p = peer(&[]);
    let out = run(
        psremote().env_remove("PSREMOTE_PASSWORD").args([
            "invoke",
            "-C",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "--password-stdin",
            "-c",
            "'before'; throw \"boom\"",
        ]),
        Some(&format!("{PASSWORD}\n")),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "before\n");
    assert_eq!(
        stderr,
        "boom\n    + CategoryInfo          : OperationStopped: (:) [], RuntimeException\n    \
         + FullyQualifiedErrorId : boom\n    + PSComputerName        : 127.0.0.1\n"
    );
}

#[test]
fn no_password_and_no_terminal_is_a_clear_usage_error() {
    let p = peer(&[]);
    let out = run(
        psremote().env_remove("PSREMOTE_PASSWORD").args([
            "invoke",
            "-C",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "1",
        ]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("PSREMOTE_PASSWORD") && stderr.contains("--password-stdin"),
        "{stderr}"
    );
}

#[test]
fn https_certificate_auth_and_untrusted_certificate() {
    let p = start_peer(&["--https", "--auth", "certificate,basic"]);
    let port = p.ready.https_ports[0].to_string();
    let (Some(ca), Some(cert), Some(key)) =
        (&p.ready.ca_file, &p.ready.client_cert, &p.ready.client_key)
    else {
        panic!("the endpoint gave no PKI files: {:?}", p.ready);
    };
    let t = format!("127.0.0.1:{port}");
    let out = run(
        psremote()
            .env_remove("PSREMOTE_USER")
            .env_remove("PSREMOTE_PASSWORD")
            .args([
                "invoke",
                "-C",
                &t,
                "--https",
                "--auth",
                "certificate",
                "--cert",
            ])
            .arg(cert)
            .arg("--key")
            .arg(key)
            .arg("--ca-file")
            .arg(ca)
            .arg("Get-UICulture"),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1033             en-US"));

    // Without the CA the self-signed chain is refused, with the fix named.
    let out = run(
        psremote().args(["invoke", "-C", &t, "--https", "--auth", "basic", "1"]),
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("[127.0.0.1] "), "{stderr}");
    assert!(stderr.contains("--ca-file"), "{stderr}");
    assert_no_internals(&stderr);
}

/// Fan-out over 50 endpoints (one endpoint process listening on 50 ports), throttled.
#[test]
fn fan_out_over_fifty_computers() {
    let p = peer(&["--listen-count", "50"]);
    assert_eq!(p.ready.http_ports.len(), 50);
    let targets: Vec<String> = (0..50).map(|i| target(&p, i)).collect();
    let started = std::time::Instant::now();
    let out = run(
        psremote().args([
            "invoke",
            "-C",
            &targets.join(","),
            "--auth",
            "basic",
            "--allow-unencrypted",
            "--throttle",
            "16",
            "--json",
            "Get-UICulture",
        ]),
        None,
    );
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut seen: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).expect("NDJSON");
            assert_eq!(j["props"]["Name"], "en-US");
            j["ms"]["PSComputerName"]
                .as_str()
                .expect("tagged")
                .to_string()
        })
        .collect();
    seen.sort();
    let mut want = targets.clone();
    want.sort();
    assert_eq!(seen, want, "one object from every computer");
    eprintln!("50 computers, throttle 16: {elapsed:?}");
    assert_eq!(
        p.stats().expect("stats")["shells_open"],
        0,
        "every shell closed"
    );
}

#[test]
fn commands_on_a_no_language_endpoint_fall_back_to_get_command_metadata() {
    let p = peer(&[]);
    let out = run(
        psremote()
            .env("PSREMOTE_USER", "restricted")
            .env("PSREMOTE_PASSWORD", "R3stricted!pass")
            .args([
                "commands",
                &target(&p, 0),
                "--auth",
                "basic",
                "--allow-unencrypted",
                "--configuration-name",
                "Restricted",
            ]),
        None,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("GET_COMMAND_METADATA"), "{stderr}");
    // A listing is Get-Command: implicit remoting's skip list does not apply to it.
    assert!(stdout.contains("Cmdlet          Get-Command"), "{stdout}");
    assert!(stdout.contains("Cmdlet          Get-Service"), "{stdout}");
}

#[test]
fn enter_answers_secure_string_reads() {
    let p = peer(&[]);
    let out = run(
        psremote().args([
            "enter",
            &target(&p, 0),
            "--auth",
            "basic",
            "--allow-unencrypted",
        ]),
        Some("$s = Read-Host -AsSecureString\nsw0rdfish\n$s\nexit\n"),
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        stdout,
        "[127.0.0.1]: PS> [127.0.0.1]: PS> System.Security.SecureString\n[127.0.0.1]: PS> "
    );
    assert!(!stdout.contains("sw0rdfish") && !stderr.contains("sw0rdfish"));
}

/// Export-PSSession's promise: the exported crate builds on its own (here: `cargo check`
/// against the runtime by path, with this workspace's lock file so no resolution is needed).
#[test]
fn exported_crate_builds_on_its_own() {
    let p = peer(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let crate_dir = dir.path().join("hotfix-remote");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = run(
        psremote()
            .args([
                "export",
                &target(&p, 0),
                "--auth",
                "basic",
                "--allow-unencrypted",
                "--name",
                "Get-HotFix,Get-UICulture",
                "--out",
            ])
            .arg(&crate_dir)
            .arg("--runtime-path")
            .arg(root.join("runtime")),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).expect("lock file");
    // Beside this build's target dir, kept between runs, and the one the codegen tests check
    // their generated crates in (codegen/tests/common): the same runtime dependencies, checked
    // once instead of twice (~300 MB and a minute of a CI run).
    let target_dir = std::path::Path::new(env!("CARGO_BIN_EXE_psremote"))
        .parent()
        .and_then(|d| d.parent())
        .map(|t| t.join("generated-check"))
        .expect("target dir");
    let check = std::process::Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--offline"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo check");
    assert!(
        check.status.success(),
        "the exported crate does not build:\n{}",
        text(&check.stderr)
    );
}

/// The runtime tests' throw-away sshd (a `powershell` subsystem running the endpoint's stdio
/// mode), shared rather than duplicated.
#[path = "../../runtime/tests/common/mod.rs"]
#[allow(unused_imports)]
mod runtime_common;

#[test]
fn invoke_and_enter_over_ssh() {
    let Some(sshd) = runtime_common::Sshd::start() else {
        return;
    };
    let dest = format!("{}@127.0.0.1:{}", sshd.user, sshd.port);
    let ssh = |cmd: &mut Command| {
        cmd.env_remove("PSREMOTE_USER")
            .env_remove("PSREMOTE_PASSWORD")
            .arg("--ssh")
            .arg("--ssh-key")
            .arg(&sshd.client_key)
            .args([
                "--ssh-option",
                "StrictHostKeyChecking=no",
                "--ssh-option",
                "UserKnownHostsFile=/dev/null",
                "--ssh-option",
                "BatchMode=yes",
                "--ssh-option",
                "IdentitiesOnly=yes",
                "--ssh-option",
                "LogLevel=ERROR",
            ]);
    };
    let mut cmd = psremote();
    ssh(&mut cmd);
    let out = run(cmd.args(["invoke", "-C", &dest, "get-UICulture"]), None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1033             en-US"),
        "{}",
        text(&out.stdout)
    );

    let mut cmd = psremote();
    ssh(&mut cmd);
    let out = run(cmd.args(["enter", &dest]), Some("$x = 40 + 2\n$x\nexit\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "[127.0.0.1]: PS> [127.0.0.1]: PS> 42\n[127.0.0.1]: PS> "
    );
}
