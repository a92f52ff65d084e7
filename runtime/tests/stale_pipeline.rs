//! A server message for a pipeline the client does not know (a stale or foreign pipeline id)
//! must not break the RunspacePool: it is dropped, the running call completes with all of its
//! output, and the session stays usable.

use std::path::Path;
use std::time::Duration;

use psremote_runtime::transport::ProcessTarget;
use psremote_runtime::{Command, ConnectionInfo, Session, SessionState, Value};
use psremote_test_support::{peer_dir, peer_python};

/// Runs the endpoint's stdio mode and relays its framing; before the first pipeline `<Data>`
/// it slips in, on the pool's stream, a PIPELINE_OUTPUT (MS-PSRP 2.2.2.18) for a random
/// pipeline id, then touches `MARKER` so the test knows it was sent.
const INJECTOR: &str = r#"
import base64, re, struct, subprocess, sys, threading, uuid
marker = sys.argv[1]
child = subprocess.Popen([sys.executable, "-m", "psremote_peer", "stdio"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def pump():
    for line in sys.stdin.buffer:
        child.stdin.write(line)
        child.stdin.flush()
    child.stdin.close()
threading.Thread(target=pump, daemon=True).start()
NIL = b"00000000-0000-0000-0000-000000000000"
data = re.compile(rb"<Data Stream='\w+' PSGuid='([^']*)'>([^<]*)</Data>")
rpid, sent = None, False
for line in child.stdout:
    m = data.search(line)
    if m and rpid is None:
        blob = base64.b64decode(m.group(2))
        # fragment header (21 bytes, start flag 0x1), then destination, type, RPID.
        if len(blob) >= 21 + 24 and blob[16] & 1 and blob[29:45] != bytes(16):
            rpid = blob[29:45]
    if m and not sent and rpid is not None and m.group(1).upper() != NIL:
        msg = struct.pack("<II", 1, 0x00041004) + rpid + uuid.uuid4().bytes_le
        msg += "\ufeff<S>from a pipeline nobody ran</S>".encode("utf-8")
        frag = struct.pack(">QQBI", 0x7FFF0001, 0, 3, len(msg)) + msg
        sys.stdout.buffer.write(b"<Data Stream='Default' PSGuid='" + NIL + b"'>"
                                + base64.b64encode(frag) + b"</Data>\n")
        sys.stdout.buffer.flush()
        open(marker, "w").close()
        sent = True
    sys.stdout.buffer.write(line)
    sys.stdout.buffer.flush()
"#;

fn target(dir: &Path) -> Option<ProcessTarget> {
    let py = peer_python();
    if !py.exists() {
        eprintln!("SKIPPED: no endpoint interpreter (run scripts/setup.sh)");
        return None;
    }
    let script = dir.join("inject.py");
    std::fs::write(&script, INJECTOR).expect("write the injector");
    Some(
        ProcessTarget::new(py)
            .arg(script.as_os_str())
            .arg(dir.join("sent").as_os_str())
            .env("PYTHONPATH", peer_dir()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_for_an_unknown_pipeline_does_not_break_the_pool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = target(dir.path()) else { return };
    let s = tokio::time::timeout(
        Duration::from_secs(60),
        Session::connect(ConnectionInfo::process(t)),
    )
    .await
    .expect("open in time")
    .expect("open");
    let out = tokio::time::timeout(Duration::from_secs(60), s.invoke(Command::script("1..3")))
        .await
        .expect("no hang")
        .expect("the call is not failed by another pipeline's message");
    assert!(
        dir.path().join("sent").exists(),
        "the stale message was sent"
    );
    assert_eq!(out, [Value::I32(1), Value::I32(2), Value::I32(3)]);
    assert_eq!(s.state(), SessionState::Opened);
    let again = s
        .invoke(Command::script("'still here'"))
        .await
        .expect("next");
    assert_eq!(again, [Value::String("still here".into())]);
    s.close().await.expect("close");
}
