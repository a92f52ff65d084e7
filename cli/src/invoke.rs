//! `psremote invoke`: Invoke-Command over one or many computers, output rendered as it arrives.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use psremote_runtime::psrp::{Command, PowerShell};
use psremote_runtime::{ConnectionInfo, Session, StreamItem};
use tokio::sync::{Semaphore, mpsc, watch};

use crate::args::{ConnectionArgs, InvokeArgs};
use crate::conn;
use crate::error::{CliError, EXIT_FAILURE, report_runtime};
use crate::literal;
use crate::render::records::{self, ErrorView, ProgressView, Stream};
use crate::render::{Renderer, json};

/// What a host's task reports to the renderer.
enum Event {
    Item(Arc<str>, StreamItem),
    /// The host finished: `Err` when it could not connect or its pipeline failed.
    Done(Arc<str>, Result<(), psremote_runtime::Error>),
}

/// Builds the pipeline from `-c`, `-f`, `--command` or the positional script.
pub fn build_pipeline(args: &InvokeArgs) -> Result<PowerShell, CliError> {
    let arguments: Vec<_> = args.args.iter().map(|a| literal::parse(a)).collect();
    if let Some(name) = &args.command {
        if !arguments.is_empty() {
            return Err(CliError::usage(
                "--args goes with a script (-c/-f); give --command parameters with -p Name=Value",
            ));
        }
        let mut cmd = Command::new(name.clone());
        for p in &args.parameters {
            let (pname, value) = literal::split_parameter(p);
            if pname.is_empty() {
                return Err(CliError::usage(format!(
                    "-p {p}: the parameter has no name"
                )));
            }
            cmd = match value {
                Some(v) => cmd.param(pname, v),
                None => cmd.switch(pname),
            };
        }
        return Ok(PowerShell::from(cmd));
    }
    let text = if let Some(path) = &args.file_path {
        std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "cannot read the script file {}: {e}",
                path.display()
            ))
        })?
    } else if let Some(s) = args.script_block.as_ref().or(args.script.as_ref()) {
        s.clone()
    } else {
        return Err(CliError::usage(
            "nothing to run: give a script (psremote invoke -C HOST 'Get-Date'), -c SCRIPT, \
             -f FILE.ps1, or --command NAME -p Param=Value",
        ));
    };
    // Invoke-Command sends the script block as a script Command with -ArgumentList as its
    // positional arguments (MS-PSRP 2.2.3.11/2.2.3.12).
    let mut cmd = Command::script(strip_bom(&text).to_string());
    for a in arguments {
        cmd = cmd.arg(a);
    }
    Ok(PowerShell::from(cmd))
}

fn strip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}

pub async fn run(conn_args: &ConnectionArgs, args: &InvokeArgs) -> Result<i32, CliError> {
    let computers = conn::computers(conn_args, None);
    if computers.is_empty() {
        return Err(CliError::usage(
            "no computer given: name one or more with -C, e.g. \
             `psremote invoke -C server01,server02 'Get-UICulture'` (see psremote invoke --help)",
        ));
    }
    let pipeline = build_pipeline(args)?;
    let password = conn::password(conn_args, conn_args.user.as_deref())?;
    let infos = conn::connection_infos(conn_args, &computers, password.as_ref())?;
    drop(password);

    let multi = infos.len() > 1;
    let stderr_tty = std::io::stderr().is_terminal();
    let progress = (stderr_tty && !args.no_progress).then(MultiProgress::new);
    let hosts_bar = match (&progress, multi) {
        (Some(mp), true) => {
            let bar = mp.add(ProgressBar::new(infos.len() as u64));
            bar.set_style(
                ProgressStyle::with_template("{pos}/{len} computers done {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            // Drawn now and on each finished computer (a steady-tick thread would redraw it
            // after it is cleared on Ctrl-C).
            bar.tick();
            Some(bar)
        }
        _ => None,
    };

    let (tx, mut rx) = mpsc::channel::<Event>(256);
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let throttle = Arc::new(Semaphore::new(conn_args.throttle as usize));
    for info in infos {
        let tx = tx.clone();
        let ps = pipeline.clone();
        let throttle = throttle.clone();
        let cancel = cancel_rx.clone();
        tokio::spawn(async move {
            let name: Arc<str> = Arc::from(info.computer_name.as_str());
            let Ok(_permit) = throttle.acquire_owned().await else {
                return;
            };
            let result = run_one(info, ps, &name, &tx, cancel).await;
            let _ = tx.send(Event::Done(name, result)).await;
        });
    }
    drop(tx);

    let stdout = std::io::stdout();
    let width = if stdout.is_terminal() {
        console::Term::stdout()
            .size_checked()
            .map(|(_, w)| w as usize)
    } else {
        None
    };
    let mut renderer = Renderer::new(stdout.lock(), multi).with_max_width(width);
    let mut bars: HashMap<(Arc<str>, i64), ProgressBar> = HashMap::new();
    let mut failed = false;
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let mut cancelled = false;
    loop {
        let ev = tokio::select! {
            ev = rx.recv() => ev,
            _ = &mut ctrl_c, if !cancelled => {
                // Stop the remote pipelines and close the shells instead of leaving them.
                cancelled = true;
                let _ = cancel_tx.send(true);
                if let Some(b) = &hosts_bar {
                    b.finish_and_clear();
                }
                if let Some(mp) = &progress {
                    let _ = mp.clear();
                }
                continue;
            }
        };
        let Some(ev) = ev else { break };
        let computer = |c: &Arc<str>| -> Option<String> { multi.then(|| c.to_string()) };
        match ev {
            Event::Item(c, StreamItem::Output(v)) => {
                let r = if args.json {
                    renderer.flush().and_then(|_| {
                        let line = json::ndjson_line(&v, Some(&c));
                        writeln!(std::io::stdout(), "{line}")
                    })
                } else {
                    suspend(&progress, || renderer.push(&v, Some(&c)))
                };
                if let Err(e) = r {
                    return broken_pipe(e);
                }
            }
            Event::Item(c, StreamItem::Error(rec)) => {
                failed = true;
                let text = ErrorView::from_value(&rec.value).render(Some(&c));
                let _ = renderer.flush();
                suspend(&progress, || eprint!("{text}"));
            }
            Event::Item(c, StreamItem::Warning(r)) => {
                let line = records::stream_line(
                    Stream::Warning,
                    &records::informational_message(&r.value),
                    computer(&c).as_deref(),
                );
                let _ = renderer.flush();
                suspend(&progress, || eprintln!("{line}"));
            }
            Event::Item(c, StreamItem::Verbose(r)) => {
                let line = records::stream_line(
                    Stream::Verbose,
                    &records::informational_message(&r.value),
                    computer(&c).as_deref(),
                );
                suspend(&progress, || eprintln!("{line}"));
            }
            Event::Item(c, StreamItem::Debug(r)) => {
                let line = records::stream_line(
                    Stream::Debug,
                    &records::informational_message(&r.value),
                    computer(&c).as_deref(),
                );
                suspend(&progress, || eprintln!("{line}"));
            }
            Event::Item(_, StreamItem::Information(r)) => {
                // Write-Host / Write-Information text goes where the console host writes it:
                // stdout, unless stdout carries NDJSON.
                let text = records::information_message(&r.value);
                let _ = renderer.flush();
                if args.json {
                    suspend(&progress, || eprintln!("{text}"));
                } else {
                    suspend(&progress, || println!("{text}"));
                }
            }
            Event::Item(c, StreamItem::Progress(r)) => {
                let Some(mp) = &progress else { continue };
                let view = ProgressView::from_value(&r.value);
                let key = (c.clone(), view.activity_id);
                if view.completed {
                    if let Some(bar) = bars.remove(&key) {
                        bar.finish_and_clear();
                    }
                    continue;
                }
                let bar = bars.entry(key).or_insert_with(|| {
                    let bar = mp.add(ProgressBar::new(100));
                    bar.set_style(
                        ProgressStyle::with_template("{prefix} [{bar:30}] {pos:>3}% {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                    );
                    bar
                });
                let prefix = if multi {
                    format!("[{c}] {}", view.activity)
                } else {
                    view.activity.clone()
                };
                bar.set_prefix(prefix);
                bar.set_position(view.percent.clamp(0, 100) as u64);
                let msg = if view.current_operation.is_empty() {
                    view.status.clone()
                } else {
                    format!("{} {}", view.status, view.current_operation)
                };
                bar.set_message(msg);
            }
            Event::Done(c, result) => {
                if let Some(b) = &hosts_bar {
                    b.inc(1);
                }
                for ((host, _), bar) in bars.iter() {
                    if *host == c {
                        bar.finish_and_clear();
                    }
                }
                bars.retain(|(host, _), _| *host != c);
                if let Err(e) = result {
                    if matches!(e, psremote_runtime::Error::PipelineStopped) && cancelled {
                        continue;
                    }
                    failed = true;
                    let _ = renderer.flush();
                    let text = report_runtime(Some(&c), &e);
                    suspend(&progress, || eprintln!("{text}"));
                }
            }
        }
    }
    if let Some(b) = hosts_bar {
        b.finish_and_clear();
    }
    for (_, bar) in bars.drain() {
        bar.finish_and_clear();
    }
    if let Some(mp) = &progress {
        let _ = mp.clear();
    }
    if let Err(e) = renderer.finish() {
        return broken_pipe(e);
    }
    if cancelled {
        return Ok(130);
    }
    Ok(if failed { EXIT_FAILURE } else { 0 })
}

/// Output closed early (`psremote … | head`): stop quietly, as a shell tool should.
fn broken_pipe(e: std::io::Error) -> Result<i32, CliError> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(0)
    } else {
        Err(CliError::Message(format!("cannot write the output: {e}")))
    }
}

/// Prints around the progress bars so they are redrawn below the text.
fn suspend<R>(progress: &Option<MultiProgress>, f: impl FnOnce() -> R) -> R {
    match progress {
        Some(mp) => mp.suspend(f),
        None => f(),
    }
}

/// Resolves once the run is cancelled (Ctrl-C).
async fn cancelled(rx: &mut watch::Receiver<bool>) {
    // The borrow `wait_for` returns is dropped here, so the future stays Send.
    let _ = rx.wait_for(|c| *c).await.map(|_| ());
}

async fn run_one(
    info: ConnectionInfo,
    ps: PowerShell,
    name: &Arc<str>,
    tx: &mpsc::Sender<Event>,
    mut cancel: watch::Receiver<bool>,
) -> Result<(), psremote_runtime::Error> {
    let session = tokio::select! {
        s = Session::connect(info) => s?,
        _ = cancelled(&mut cancel) => return Err(psremote_runtime::Error::PipelineStopped),
    };
    let mut stream = session.stream(ps, Vec::new()).await?;
    let stopper = stream.stopper();
    let mut result = Ok(());
    loop {
        tokio::select! {
            item = stream.next() => match item {
                Some(Ok(item)) => {
                    if tx.send(Event::Item(name.clone(), item)).await.is_err() {
                        break;
                    }
                }
                Some(Err(e)) => {
                    result = Err(e);
                    break;
                }
                None => break,
            },
            _ = cancelled(&mut cancel) => {
                if let Some(s) = &stopper {
                    let _ = s.stop().await;
                }
                result = Err(psremote_runtime::Error::PipelineStopped);
                break;
            }
        }
    }
    drop(stream);
    let _ = session.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn invoke_args(argv: &[&str]) -> InvokeArgs {
        let mut full = vec!["psremote", "invoke"];
        full.extend_from_slice(argv);
        match crate::args::Cli::try_parse_from(full).map(|c| c.command) {
            Ok(crate::args::Command::Invoke(a)) => a,
            other => panic!("did not parse as invoke: {other:?}"),
        }
    }

    #[test]
    fn positional_script_and_args() {
        let a = invoke_args(&["-C", "a,b", "get-UICulture"]);
        assert_eq!(a.script.as_deref(), Some("get-UICulture"));
        let ps = build_pipeline(&a).expect("pipeline");
        assert_eq!(ps.commands.len(), 1);
        assert!(ps.commands[0].is_script);

        let a = invoke_args(&["-c", "param($x) $x", "--args", "1", "two"]);
        let ps = build_pipeline(&a).expect("pipeline");
        assert_eq!(ps.commands[0].parameters.len(), 2);
        assert_eq!(
            ps.commands[0].parameters[0].value,
            psremote_runtime::clixml::Value::I32(1)
        );
    }

    #[test]
    fn named_command_parameters() {
        let a = invoke_args(&[
            "--command",
            "Get-Service",
            "-p",
            "Name=WinRM,Spooler",
            "-p=-DependentServices",
        ]);
        let ps = build_pipeline(&a).expect("pipeline");
        let c = &ps.commands[0];
        assert!(!c.is_script);
        assert_eq!(c.name, "Get-Service");
        assert_eq!(c.parameters[0].name.as_deref(), Some("Name"));
        assert_eq!(c.parameters[1].name.as_deref(), Some("DependentServices"));
    }

    #[test]
    fn nothing_to_run_is_a_usage_error() {
        let a = invoke_args(&["-C", "a"]);
        assert!(matches!(build_pipeline(&a), Err(CliError::Usage(_))));
    }

    #[test]
    fn script_and_file_conflict() {
        let r = crate::args::Cli::try_parse_from(["psremote", "invoke", "-c", "x", "-f", "y"]);
        assert!(r.is_err());
    }
}
