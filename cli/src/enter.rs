//! `psremote enter HOST`: an interactive session (Enter-PSSession). One RunspacePool for the
//! whole session, so variables and functions persist between lines; Ctrl-C while a pipeline
//! runs stops that pipeline, Ctrl-C at the prompt clears the line; `exit` leaves.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use psremote_runtime::session::SessionOptions;
use psremote_runtime::{Command, Session, StreamItem};

use crate::args::{ConnectionArgs, EnterArgs};
use crate::conn;
use crate::console::{ConsoleHost, Input, Line};
use crate::error::{CliError, EXIT_FAILURE, report_runtime};
use crate::render::Renderer;
use crate::render::records::{self, ErrorView, Stream};

/// The lines that end the session, as in PowerShell (`exit`, `Exit-PSSession`).
pub fn is_exit(line: &str) -> bool {
    let l = line.trim().trim_end_matches(';').trim();
    l.eq_ignore_ascii_case("exit") || l.eq_ignore_ascii_case("exit-pssession")
}

pub async fn run(conn_args: &ConnectionArgs, args: &EnterArgs) -> Result<i32, CliError> {
    let computers = conn::computers(conn_args, args.host.as_deref());
    let computer = match computers.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(CliError::usage(
                "no computer given: psremote enter HOST (e.g. psremote enter server01)",
            ));
        }
        _ => {
            return Err(CliError::usage(
                "enter works with one computer at a time; use invoke for several",
            ));
        }
    };
    let password = conn::password(conn_args, conn_args.user.as_deref())?;
    let infos = conn::connection_infos(
        conn_args,
        std::slice::from_ref(&computer),
        password.as_ref(),
    )?;
    drop(password);
    let Some(info) = infos.into_iter().next() else {
        return Err(CliError::usage("no computer given"));
    };

    let input = Arc::new(Mutex::new(Input::new()));
    let session_slot = Arc::new(std::sync::OnceLock::new());
    let host = Arc::new(ConsoleHost {
        input: input.clone(),
        instance_id: uuid::Uuid::new_v4(),
        session: session_slot.clone(),
    });
    let name = info.computer_name.clone();
    let session = Session::connect_with(info, SessionOptions { host })
        .await
        .map_err(|e| CliError::runtime(Some(&name), e))?;
    let _ = session_slot.set(session.clone());
    let prompt = format!("[{}]: PS> ", session.computer_name());

    let mut code = 0;
    loop {
        let read = {
            let input = input.clone();
            let prompt = prompt.clone();
            tokio::task::spawn_blocking(move || match input.lock() {
                Ok(mut i) => i.read_line(&prompt),
                Err(_) => Ok(Line::Eof),
            })
            .await
        };
        let line = match read {
            Ok(Ok(Line::Text(l))) => l,
            Ok(Ok(Line::Interrupted)) => continue,
            Ok(Ok(Line::Eof)) => break,
            Ok(Err(e)) => {
                eprintln!("psremote: cannot read input: {e}");
                code = EXIT_FAILURE;
                break;
            }
            Err(e) => {
                eprintln!("psremote: cannot read input: {e}");
                code = EXIT_FAILURE;
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        if let Ok(mut i) = input.lock() {
            i.add_history(&line);
        }
        if is_exit(&line) {
            break;
        }
        match run_line(&session, &line).await {
            Ok(ok) => {
                if !ok {
                    code = EXIT_FAILURE;
                }
            }
            Err(e) => {
                let lost = e.is_session_lost();
                eprintln!("{}", report_runtime(None, &e));
                code = EXIT_FAILURE;
                if lost {
                    break;
                }
            }
        }
    }
    if let Ok(mut i) = input.lock() {
        i.save_history();
    }
    if let Err(e) = session.close().await {
        eprintln!("{}", report_runtime(Some(session.computer_name()), &e));
    }
    Ok(code)
}

/// Runs one line; `Ok(false)` when it wrote errors or failed. Ctrl-C stops it remotely.
async fn run_line(session: &Session, line: &str) -> Result<bool, psremote_runtime::Error> {
    let mut stream = session
        .stream(Command::script(line.to_string()), Vec::new())
        .await?;
    let stopper = stream.stopper();
    let mut renderer = Renderer::new(std::io::stdout(), false);
    let mut ok = true;
    let mut stopping = false;
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let result = loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = &mut ctrl_c, if !stopping => {
                stopping = true;
                if let Some(s) = &stopper {
                    s.stop().await;
                }
                continue;
            }
        };
        match item {
            None => break Ok(()),
            Some(Err(psremote_runtime::Error::PipelineStopped)) => break Ok(()),
            Some(Err(e)) => break Err(e),
            Some(Ok(StreamItem::Output(v))) => {
                let _ = renderer.push(&v, None);
            }
            Some(Ok(StreamItem::Error(r))) => {
                ok = false;
                let _ = renderer.flush();
                eprint!("{}", ErrorView::from_value(&r.value).render(None));
            }
            Some(Ok(StreamItem::Warning(r))) => {
                let _ = renderer.flush();
                eprintln!(
                    "{}",
                    records::stream_line(
                        Stream::Warning,
                        &records::informational_message(&r.value),
                        None
                    )
                );
            }
            Some(Ok(StreamItem::Verbose(r))) => eprintln!(
                "{}",
                records::stream_line(
                    Stream::Verbose,
                    &records::informational_message(&r.value),
                    None
                )
            ),
            Some(Ok(StreamItem::Debug(r))) => eprintln!(
                "{}",
                records::stream_line(
                    Stream::Debug,
                    &records::informational_message(&r.value),
                    None
                )
            ),
            Some(Ok(StreamItem::Information(r))) => {
                let _ = renderer.flush();
                println!("{}", records::information_message(&r.value));
            }
            Some(Ok(StreamItem::Progress(_))) => {}
        }
    };
    let _ = renderer.finish();
    result.map(|()| ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_words() {
        assert!(is_exit("exit"));
        assert!(is_exit("  EXIT  "));
        assert!(is_exit("Exit-PSSession"));
        assert!(is_exit("exit;"));
        assert!(!is_exit("exit-foo"));
        assert!(!is_exit("$exit = 1"));
    }
}
