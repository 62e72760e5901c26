//! The local domain of the action router: a playbook step's program (no
//! shell) or script (`sh -c`), run on this machine with no input, stopped
//! at its timeout. Its output, standard output then standard error, is
//! kept as an evidence file (the first [`OUTPUT_LIMIT`] bytes; the
//! result names the SHA-256 of all of it). A non-zero exit is a failure
//! that quotes the output's last lines.

use std::process::Stdio;
use std::time::Duration;

use super::{Action, ActionError, ActionKind, Evidence, Executed, Execution, Executor};

/// The most output kept as evidence.
pub const OUTPUT_LIMIT: usize = 1024 * 1024;
/// How many of the last output lines a failure quotes.
const TAIL_LINES: usize = 5;

/// Runs commands and scripts on this machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalExecutor;

impl Executor for LocalExecutor {
    fn execute(&self, action: Action) -> Execution {
        Box::pin(async move {
            match action.kind {
                ActionKind::RunCommand { step, argv, timeout_secs, .. } => {
                    let Some((program, args)) = argv.split_first() else {
                        return Err(ActionError::rejected("the command is empty"));
                    };
                    let mut cmd = tokio::process::Command::new(program);
                    cmd.args(args);
                    run(cmd, program, &step, timeout_secs).await
                }
                ActionKind::RunScript { step, script, timeout_secs, .. } => {
                    let mut cmd = tokio::process::Command::new("sh");
                    cmd.arg("-c").arg(script);
                    run(cmd, "sh", &step, timeout_secs).await
                }
                other => {
                    Err(ActionError::Unavailable { message: format!("{other:?} is not something to run locally") })
                }
            }
        })
    }
}

async fn run(
    mut cmd: tokio::process::Command,
    program: &str,
    step: &str,
    timeout_secs: u64,
) -> Result<Executed, ActionError> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| ActionError::rejected(format!("cannot run {program}: {e}")))?;
    let out = match tokio::time::timeout(Duration::from_secs(timeout_secs), child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| ActionError::rejected(format!("{program}: {e}")))?,
        // Dropping the child kills it.
        Err(_) => return Err(ActionError::TimedOut { secs: timeout_secs }),
    };
    let mut all = out.stdout;
    if !out.stderr.is_empty() {
        if !all.is_empty() && !all.ends_with(b"\n") {
            all.push(b'\n');
        }
        all.extend_from_slice(&out.stderr);
    }
    let text = String::from_utf8_lossy(&all);
    let lines = text.lines().count();
    if !out.status.success() {
        let status = out.status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit status {c}"));
        let tail: Vec<&str> = text.lines().rev().take(TAIL_LINES).collect::<Vec<_>>().into_iter().rev().collect();
        let said = if tail.is_empty() { String::new() } else { format!(": {}", tail.join(" / ")) };
        return Err(ActionError::rejected(format!("{program}: {status}{said}")));
    }
    let hash = crate::evidence::sha256(&all);
    let kept = if all.len() > OUTPUT_LIMIT {
        let cut = text.char_indices().map(|(i, _)| i).take_while(|i| *i <= OUTPUT_LIMIT).last().unwrap_or(0);
        format!("{}\n[output cut at {OUTPUT_LIMIT} bytes of {}]\n", &text[..cut], all.len())
    } else {
        text.into_owned()
    };
    let s = if lines == 1 { "" } else { "s" };
    Ok(Executed {
        message: format!("{program}: exit status 0, {lines} line{s} of output (sha256 {})", &hash[..16]),
        evidence: vec![Evidence { label: format!("step-{step}-output"), text: kept }],
        output: Some(crate::actions::CommandOutput::of(&all)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Risk, Scope};

    fn command(argv: &[&str], timeout_secs: u64) -> Action {
        let argv = argv.iter().map(|s| s.to_string()).collect();
        Action {
            kind: ActionKind::RunCommand { step: "s".into(), argv, timeout_secs, risk: Risk::Read },
            scope: Scope::default(),
        }
    }

    fn script(text: &str) -> Action {
        Action {
            kind: ActionKind::RunScript { step: "s".into(), script: text.into(), timeout_secs: 10, risk: Risk::Change },
            scope: Scope::default(),
        }
    }

    #[tokio::test]
    async fn a_command_runs_without_a_shell_and_its_output_is_kept() {
        let done = LocalExecutor.execute(command(&["echo", "a; rm -rf /", "$HOME"], 10)).await.unwrap();
        assert_eq!(done.evidence[0].text, "a; rm -rf / $HOME\n", "arguments reach the program as they are");
        assert_eq!(done.evidence[0].label, "step-s-output");
        assert!(done.message.starts_with("echo: exit status 0, 1 line of output (sha256 "), "{}", done.message);
        assert_eq!(done.output.unwrap().excerpt, "a; rm -rf / $HOME\n");
    }

    #[tokio::test]
    async fn a_script_runs_in_sh_with_its_pipes_and_errors_last() {
        let done = LocalExecutor.execute(script("printf 'b\\na\\n' | sort; echo oops >&2")).await.unwrap();
        assert_eq!(done.evidence[0].text, "a\nb\noops\n");
    }

    #[tokio::test]
    async fn failures_quote_the_last_lines_and_slow_ones_time_out() {
        let err = LocalExecutor.execute(script("echo one; echo two >&2; exit 3")).await.unwrap_err();
        assert_eq!(err.to_string(), "sh: exit status 3: one / two");
        let err = LocalExecutor.execute(command(&["no-such-program-here"], 10)).await.unwrap_err();
        assert!(err.to_string().starts_with("cannot run no-such-program-here: "), "{err}");
        let started = std::time::Instant::now();
        let err = LocalExecutor.execute(command(&["sleep", "30"], 1)).await.unwrap_err();
        assert_eq!(err, ActionError::TimedOut { secs: 1 });
        assert!(started.elapsed() < Duration::from_secs(10), "killed, not waited for");
    }

    #[tokio::test]
    async fn large_output_is_cut_with_a_note_but_hashed_whole() {
        let done = LocalExecutor.execute(script("head -c 2000000 /dev/zero | tr '\\0' x")).await.unwrap();
        let text = &done.evidence[0].text;
        assert!(text.len() < OUTPUT_LIMIT + 100 && text.ends_with("[output cut at 1048576 bytes of 2000000]\n"));
        let whole = crate::evidence::sha256(&vec![b'x'; 2_000_000]);
        assert!(done.message.contains(&whole[..16]), "{}", done.message);
        // The journal keeps the first 4 KiB, the length and the whole hash.
        let output = done.output.unwrap();
        assert_eq!((output.excerpt.len(), output.bytes, output.sha256), (4096, 2_000_000, whole));
    }
}
