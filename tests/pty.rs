//! End to end: the real binary in a pseudo-terminal, driven by key
//! presses, its screen parsed by a terminal emulator (vt100).

// Helpers outside #[test] functions panic on purpose too.
#![allow(clippy::unwrap_used)]
#[path = "support/pty.rs"]
mod console;

use std::num::NonZeroU16;
use std::time::Duration;

use console::{Console, signal};

#[test]
fn demo_session_focus_filter_help_action_quit() {
    let mut c = Console::start(&["--demo", "--demo-seed", "7", "--demo-speed", "4"]);
    c.wait_text("Pods");
    assert!(c.in_alternate_screen());
    // The scripted incident arrives: backend crash-loops.
    c.wait_text("CrashLoopBackOff");

    // Focus the alarms tab, filter it.
    c.keys("3");
    c.wait_text("orders-db-high-cpu");
    c.keys("/cpu\r");
    let s = c.wait_text("/cpu");
    assert!(!s.contains("api-p99-latency"), "filter hides other alarms:\n{s}");
    c.keys("\x1b");
    c.wait_text("api-p99-latency");

    // Help is generated from the keymap.
    c.keys("?");
    c.wait_text("Help: keys");
    c.wait_text("Quit warroom");
    c.keys("\x1b");
    c.wait_for("help to close", |s| !s.contains("Help: keys"));

    // An action with confirmation: rollout restart of the crash-looping deployment.
    c.keys("1\x1b[H");
    c.wait_text("backend");
    c.keys("a");
    c.wait_text("Actions:");
    c.keys("\x1b[B\x1b[B\r");
    c.wait_text("Confirm: Rollout restart deployment");
    c.wait_text("kubectl --context demo-eks-prod -n shop rollout restart");
    c.keys("y");
    c.wait_text("deployment.apps/backend restarted");
    // The demo world heals after the restart.
    c.wait_for("crash loop to clear", |s| !s.contains("CrashLoopBackOff"));

    c.keys("q");
    let status = c.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(!c.in_alternate_screen(), "terminal restored");
    assert!(c.cooked(), "raw mode left");
}

#[test]
fn destructive_action_needs_the_name_typed_in_the_terminal() {
    let mut c = Console::start(&["--demo", "--demo-seed", "7"]);
    c.wait_text("Pods");
    c.keys("a");
    c.wait_text("Actions:");
    // Delete pod is the seventh entry.
    c.keys("\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\r");
    c.wait_text("Confirm: Delete pod");
    c.keys("y\r");
    c.wait_text("type exactly");
    c.keys("\x1b");
    c.wait_text("Cancelled: Delete pod");
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn sighup_restores_and_exits() {
    let mut c = Console::start(&["--demo"]);
    c.wait_text("Pods");
    let pid = c.child.process_id().unwrap();
    signal(pid, libc::SIGHUP);
    let exit = c.wait_exit();
    assert_eq!(exit.exit_code(), 128 + 1, "{exit:?}");
    assert!(!c.in_alternate_screen());
    assert!(c.cooked());
    // Logs go to the state dir, never to the screen.
    let log = std::fs::read_to_string(c.dirs.path().join("data/state/warroom.log")).unwrap();
    assert!(log.contains("SIGHUP"), "{log}");
    assert!(!c.contents().contains("SIGHUP"));
}

#[test]
fn sigterm_restores_and_exits() {
    let mut c = Console::start(&["--demo", "--read-only"]);
    // At 100 columns the badges are shortened to make room.
    c.wait_text(" RO DEMO ");
    let pid = c.child.process_id().unwrap();
    signal(pid, libc::SIGTERM);
    assert_eq!(c.wait_exit().exit_code(), 128 + 15);
    assert!(!c.in_alternate_screen());
    assert!(c.cooked());
}

#[test]
fn sigint_and_sigquit_from_outside_restore_and_exit_128_plus_n() {
    for sig in [libc::SIGINT, libc::SIGQUIT] {
        let mut c = Console::start(&["--demo"]);
        c.wait_text("Pods");
        signal(c.child.process_id().unwrap(), sig);
        let exit = c.wait_exit();
        assert_eq!(exit.exit_code(), 128 + sig as u32, "signal {sig}: {exit:?}");
        assert!(!c.in_alternate_screen(), "signal {sig}");
        assert!(c.cooked(), "signal {sig}");
    }
}

/// Not a test on its own: `panic_restores_the_terminal` runs it in a
/// pseudo-terminal to panic while the console owns the terminal.
#[test]
#[ignore = "run by panic_restores_the_terminal inside a pty"]
fn panic_probe() {
    // As `main` runs the console.
    let caught = warroom::terminal::catch_panic(|| {
        let mut guard = warroom::terminal::TerminalGuard::enter().unwrap();
        guard.terminal.draw(|f| f.render_widget("probe is drawing", f.area())).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        panic!("probe panic while the terminal is raw");
    });
    let Err(what) = caught;
    eprintln!("warroom: internal error: {what}");
    std::process::exit(101);
}

#[test]
fn panic_restores_the_terminal() {
    let me = std::env::current_exe().unwrap();
    let mut c = Console::spawn(&me, &["panic_probe", "--exact", "--ignored", "--nocapture", "--test-threads=1"], &[]);
    let status = c.wait_exit();
    assert!(!status.success(), "the probe panics");
    std::thread::sleep(Duration::from_millis(200));
    let out = String::from_utf8_lossy(&c.output.lock().unwrap()).into_owned();
    let entered = out.find("\x1b[?1049h").expect("probe entered the alternate screen");
    // The guard leaves while unwinding; the message is printed after that,
    // with where it happened, and never onto the console's screen.
    let left = out.find("\x1b[?1049l").expect("alternate screen left");
    let message =
        out.find("internal error: probe panic while the terminal is raw at tests/pty.rs:").expect("panic message");
    assert_eq!(out.matches("probe panic").count(), 1, "printed once: {out}");
    assert!(entered < left && left < message, "terminal restored before the panic message");
    assert!(!c.in_alternate_screen());
    assert!(c.cooked(), "raw mode left");
}

/// Runs the binary with `dir` as its config dir, without a terminal.
fn run_with_config(dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("--demo")
        .env("WARROOM_CONFIG_DIR", dir)
        .env("WARROOM_DATA_DIR", dir.join("data"))
        .output()
        .unwrap()
}

#[test]
fn bad_config_exits_2_before_touching_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "theme = \"default\"\n[aws]\nregoin = \"eu\"\n").unwrap();
    let out = run_with_config(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:3:1:"), "{err}");
    assert!(err.contains("regoin"), "{err}");
    assert!(out.stdout.is_empty(), "nothing written to the terminal");
}

#[test]
fn a_bad_playbook_names_file_line_and_field_before_touching_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("playbooks")).unwrap();
    std::fs::write(
        dir.path().join("playbooks/ours.toml"),
        "id = \"ours\"\ntitle = \"Ours\"\nseverity = \"P2\"\n[[phase]]\nname = \"Triage\"\n[[phase.step]]\nid = \"pods\"\ntitle = \"Pods\"\ncheck = { name = \"pods_redy\" }\n",
    )
    .unwrap();
    let out = run_with_config(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("playbooks/ours.toml:9:"), "{err}");
    assert!(err.contains("unknown variant `pods_redy`"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\x1b[?1049h"), "no alternate screen");
}

#[test]
fn bad_keymap_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("keymaps")).unwrap();
    std::fs::write(
        dir.path().join("keymaps/default.toml"),
        "[global]\nkeymap = [\n  { on = \"x\", run = \"explode\" },\n]\n",
    )
    .unwrap();
    let out = run_with_config(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("keymaps/default.toml:3:"), "{err}");
    assert!(err.contains("explode"), "{err}");
}

#[test]
fn version_and_help() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom")).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("warroom "));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in
        ["--demo", "--demo-speed", "--theme", "--keymap", "--read-only", "--dry-run", "--context", "--namespace", "-A"]
    {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn an_unknown_context_exits_2_before_touching_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters: []\nusers: []\ncontexts:\n\
         - name: prod\n  context: {cluster: c, user: u}\n- name: staging\n  context: {cluster: c, user: u}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--context", "prd"])
        .env("KUBECONFIG", &kubeconfig)
        .env("WARROOM_CONFIG_DIR", dir.path())
        .env("WARROOM_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("KUBECONFIG={}", kubeconfig.display())), "{err}");
    assert!(err.contains("no context named `prd` (contexts there: prod, staging)"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn resizing_switches_between_tabs_and_all_panels() {
    let mut c = Console::start(&["--demo"]);
    c.wait_text("1 Pods");
    c.resize(45, 200);
    // Wide: every panel at once, no tab bar.
    let s = c.wait_for("wide layout", |s| s.contains("┌ Alarms") || s.contains("┏ Alarms"));
    assert!(s.contains("CloudTrail") && s.contains("Checklist") && !s.contains("1 Pods"), "{s}");
    c.resize(10, 40);
    c.wait_text("terminal too small");
    c.keys("q");
    assert!(c.wait_exit().success());
}

/// Everything the demo writes until its incident is on screen and it has
/// quit, with `envs` set.
fn incident_output(envs: &[(&str, &str)]) -> String {
    let bin = env!("CARGO_BIN_EXE_warroom");
    let mut c = Console::spawn(bin.as_ref(), &["--demo", "--demo-speed", "10"], envs);
    // Let the incident arrive (firing alarms, crash loops) before quitting.
    c.wait_text("CrashLoopBackOff");
    c.keys("q");
    assert!(c.wait_exit().success());
    String::from_utf8_lossy(&c.output.lock().unwrap()).into_owned()
}

#[test]
fn no_color_sends_no_colour_escapes() {
    let text = incident_output(&[("NO_COLOR", "1")]);
    for colour in ["\x1b[38;", "\x1b[48;", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[91m"] {
        assert!(!text.contains(colour), "colour escape {colour:?} sent under NO_COLOR");
    }
    assert!(text.contains("\x1b[1m"), "mono still uses bold for emphasis");
}

/// The parameters of every SGR sequence (`ESC[…m`) in `text`.
fn sgr_params(text: &str) -> Vec<Vec<u32>> {
    let mut all = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        rest = &rest[i + 2..];
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ';')).unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            all.push(rest[..end].split(';').map(|p| p.parse().unwrap_or(0)).collect());
        }
    }
    all
}

#[test]
fn sixteen_colour_terminal_gets_only_system_colour_codes() {
    let text = incident_output(&[("TERM", "xterm")]);
    let mut colours = 0;
    for params in sgr_params(&text) {
        for p in params {
            assert!(
                matches!(p, 0..=9 | 22..=29 | 30..=37 | 39 | 40..=47 | 49 | 90..=97 | 100..=107),
                "SGR {p} is not understood by a 16-colour terminal"
            );
            colours += usize::from(matches!(p, 30..=37 | 40..=47 | 90..=97 | 100..=107));
        }
    }
    assert!(colours > 10, "colours are still used");
}

#[test]
fn no_color_with_a_colour_theme_keeps_reverse_video_on_the_selection() {
    let bin = env!("CARGO_BIN_EXE_warroom");
    let mut c = Console::spawn(bin.as_ref(), &["--demo", "--theme", "default"], &[("NO_COLOR", "1")]);
    let screen = c.wait_text("NAME");
    let header = screen.lines().position(|l| l.contains("NAME")).unwrap();
    let selected_row = u16::try_from(header + 1).unwrap();
    {
        let parser = c.screen.lock().unwrap();
        let cell = parser.screen().cell(selected_row, 3).unwrap();
        assert!(cell.inverse(), "selected row is reverse video under NO_COLOR:\n{screen}");
    }
    c.keys("q");
    assert!(c.wait_exit().success());
    for params in sgr_params(&c.output_text()) {
        for p in params {
            assert!(!matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107), "colour SGR {p} under NO_COLOR");
        }
    }
}

#[test]
fn each_key_shows_before_the_next_is_sent_on_a_quiet_console() {
    // A bound that catches keys waiting for some other event, not a
    // performance target (see benches/latency.rs for that).
    let limit = Duration::from_secs(1);
    let mut c = Console::start(&["--demo", "--demo-speed", "0.1"]);
    c.wait_text("1 Pods");
    // (key, text, whether the key makes it appear or disappear)
    let steps = [
        ("?", "Help: keys", true),
        ("\x1b", "Help: keys", false),
        ("2", "┏ RDS", true),
        ("3", "┏ Alarms", true),
        ("4", "┏ CloudTrail", true),
        ("1", "┏ Pods", true),
        ("P", "Start incident", true),
        ("\x1b", "Start incident", false),
        (":", "Command palette", true),
        ("\x1b", "Command palette", false),
    ];
    for (key, text, shown) in steps {
        c.send(key);
        c.wait_within(limit, &format!("{key:?} -> {text} {shown}"), |s| s.contains(text) == shown);
    }
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn a_resize_storm_leaves_the_same_screen_as_a_full_repaint() {
    let bin = env!("CARGO_BIN_EXE_warroom");
    let mut c = Console::spawn_sized(bin.as_ref(), &["--demo", "--demo-speed", "0.1"], &[], (50, 200));
    c.wait_text("Checklist");
    // Shrink and regrow faster than a frame: the terminal has cut its
    // lines, while the size the console last drew at is the same again.
    for pause in [0, 0, 5, 20, 60] {
        c.resize(30, 100);
        std::thread::sleep(Duration::from_millis(pause));
        c.resize(50, 200);
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(400));
    let after_storm = c.contents();
    assert!(after_storm.contains("┏ Pods") && after_storm.contains("CloudTrail"), "{after_storm}");
    // What the console believes is on screen: everything it wrote, replayed
    // on a terminal that was never resized (so nothing was cut).
    let intended = |c: &Console| {
        let mut fresh = vt100::Parser::new(NonZeroU16::new(50).unwrap(), NonZeroU16::new(200).unwrap(), 0);
        fresh.process(&c.output.lock().unwrap());
        fresh.screen().contents()
    };
    assert_eq!(after_storm, intended(&c), "the screen after the storm is what the console drew");
    // `C-l` clears and repaints every cell.
    let before = c.output.lock().unwrap().len();
    c.keys("\x0c");
    std::thread::sleep(Duration::from_millis(300));
    let repaint = c.output.lock().unwrap()[before..].to_vec();
    let repaint = String::from_utf8_lossy(&repaint);
    assert!(repaint.contains("\x1b[2J") && repaint.contains("Checklist"), "C-l repaints: {repaint:?}");
    assert_eq!(c.contents(), intended(&c));
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn q_closes_popups_and_quitting_an_incident_asks_first() {
    let mut c = Console::start(&["--demo", "--demo-speed", "0.1"]);
    c.wait_text("1 Pods");
    for (open, shown) in [("a", "Actions:"), ("P", "Start incident"), ("a\r", "Confirm:")] {
        c.keys(open);
        c.wait_text(shown);
        c.keys("q");
        c.wait_for("popup to close", |s| !s.contains(shown));
    }
    assert!(c.child.try_wait().unwrap().is_none(), "still running");
    c.keys("P1");
    c.wait_text("P1 ");
    c.keys("q");
    c.wait_text("Quit warroom?");
    c.keys("n");
    c.wait_for("dialog to close", |s| !s.contains("Quit warroom?"));
    assert!(c.child.try_wait().unwrap().is_none(), "n stays");
    c.keys("q");
    c.wait_text("Quit warroom?");
    c.keys("y");
    assert!(c.wait_exit().success());
    assert!(!c.in_alternate_screen());
}

#[test]
fn refuses_to_draw_into_a_file_or_a_dumb_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_config(dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output is not a terminal"));
    assert!(out.stdout.is_empty(), "nothing drawn into the file");

    let bin = env!("CARGO_BIN_EXE_warroom");
    let mut c = Console::spawn(bin.as_ref(), &["--demo"], &[("TERM", "dumb")]);
    assert_eq!(c.wait_exit().exit_code(), 2);
    std::thread::sleep(Duration::from_millis(200));
    let text = c.output_text();
    assert!(text.contains("TERM=dumb"), "{text}");
    assert!(!text.contains("\x1b[?1049h"), "never entered the alternate screen");
}

#[test]
fn no_controlling_terminal_is_a_clear_error() {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two descriptors we then own.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0);
    // SAFETY: both descriptors were just returned by openpty.
    let (_master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.arg("--demo")
        .env("WARROOM_CONFIG_DIR", dir.path())
        .env("WARROOM_DATA_DIR", dir.path().join("data"))
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(slave));
    // SAFETY: setsid is async-signal-safe; the child gets a session with no
    // controlling terminal, as under a cron job or `ssh` without `-t`.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no controlling terminal"), "{err}");
}

#[test]
fn the_cloudtrail_window_is_exported_to_a_json_file_with_its_hash() {
    let mut c = Console::start(&["--demo", "--demo-seed", "7", "--demo-speed", "4"]);
    c.wait_text("Pods");
    // The burst of failed logins on admin is one row with its count.
    c.keys("4");
    c.wait_for("the failed-login burst collapsed", |s| s.contains("▸×") && s.contains("admin"));
    c.keys("a");
    c.wait_text("Export CloudTrail, last 1h");
    c.keys("\r");
    c.wait_text("aws cloudtrail lookup-events --profile demo --region eu-west-1");
    c.keys("y");
    let dir = c.dirs.path().join("data").join("evidence");
    let s = c.wait_for("the evidence file", |_| std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    let [file] = files.as_slice() else { panic!("one file in {dir:?}: {files:?}\n{s}") };
    assert!(file.extension().is_some_and(|e| e == "json"), "{file:?}");
    let bytes = std::fs::read(file).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let events = doc["events"].as_array().unwrap();
    assert_eq!(doc["event_count"].as_u64(), Some(events.len() as u64));
    assert!(events.iter().any(|e| e["eventName"] == "ConsoleLogin"), "{doc}");
    // The result names the file's SHA-256, as sha256sum computes it.
    let hash = warroom::evidence::sha256(&bytes);
    c.keys("R");
    c.wait_text("exported");
    c.wait_text(&hash[..16]);
    c.keys("\x1b");
    c.wait_for("the results to close", |s| !s.contains("Action results"));
    c.keys("q");
    assert!(c.wait_exit().success());
}

/// `warroom ARGS…` without a terminal, in a fresh config dir: its exit
/// status and standard output.
fn headless(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("WARROOM_CONFIG_DIR", dir.path())
        .env("WARROOM_DATA_DIR", dir.path().join("data"))
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_daily_check_runs_headless_and_says_what_failed_in_its_exit_status() {
    // Before the demo's incident: every check passes.
    let (code, out, err) = headless(&["check", "daily", "--demo", "--demo-seed", "7", "--format", "json"], &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let checks: Vec<&serde_json::Value> =
        report["steps"].as_array().unwrap().iter().filter(|s| s["kind"] == "check").collect();
    assert!(checks.len() >= 9 && checks.iter().all(|s| s["result"] == "pass"), "{report}");

    // A minute and a half in, the backend crash-loops: those checks fail, by name.
    let (code, out, _) =
        headless(&["check", "daily", "--demo", "--demo-seed", "7", "--demo-at", "90", "--format", "md"], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("| ✗ | Kubernetes | No pod is crash-looping | fail | 4 crash-looping: shop/backend-"),
        "{out}"
    );
    assert!(out.contains("| ✗ | AWS | No CloudWatch alarm fires | fail |"), "{out}");

    // Live, with nothing to reach: the feeds never sync, which is 2.
    let env = [
        ("KUBECONFIG", "/nonexistent/warroom-test/kubeconfig"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/warroom-test/config"),
    ];
    let (code, out, err) = headless(&["check", "daily", "--format", "json", "--timeout", "2"], &env);
    assert_eq!(code, Some(2), "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(report["unsynced"].as_array().unwrap().iter().any(|f| f == "pods"), "{report}");

    let (code, _, err) = headless(&["check", "weekly", "--demo", "--format", "md"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no playbook `weekly`; there are: "), "{err}");
}

#[test]
fn a_runbook_imports_to_a_playbook_file_the_console_then_loads() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/runbooks/kubernetes-platform-runbook.md");
    let out = dir.path().join("playbooks").join("ops.toml");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let (code, _, err) = headless(&["import", runbook, "-o", out.to_str().unwrap()], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("review it"), "{err}");
    // Never over an existing file.
    let (code, _, err) = headless(&["import", runbook, "-o", out.to_str().unwrap()], &[]);
    assert_eq!(code, Some(2), "{err}");
    // The console loads it with its own: a headless check of it runs.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", "kubernetes-platform-runbook", "--demo", "--format", "md"])
        .env("WARROOM_CONFIG_DIR", dir.path())
        .env("WARROOM_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&status.stderr));
    assert!(
        text.contains("| · | 1. Detection & Triage (First 15 minutes) | Acknowledge alert | not run | by hand |"),
        "{text}"
    );
}

/// The incident flow as an engineer drives it: a P1 on the demo, its
/// crash-loop check failing, the step's `o` to the pod it names, the
/// restart step run through its confirmation, the check recovering and
/// ticking, and the incident resolved with its summary.
#[test]
fn a_p1_runs_from_a_failing_check_through_a_restart_step_to_its_summary() {
    let mut c = Console::spawn_sized(
        env!("CARGO_BIN_EXE_warroom").as_ref(),
        &["--demo", "--demo-seed", "7", "--demo-speed", "4"],
        &[],
        (50, 200),
    );
    c.wait_text("CrashLoopBackOff");
    c.keys("P");
    c.wait_text("Start incident");
    c.keys("\tPods down after deploy\r");
    c.wait_text("P1 incident started");
    c.wait_text("Pods down after deploy");

    // The crash-loop check fails (its reason wraps in the narrow pane).
    c.keys("5");
    c.wait_text("✗ No pod is crash-looping");
    c.keys("jjj");
    c.wait_text("checks: no pod crash-looping");
    c.keys("o");
    c.wait_text("Went to Pods: shop/backend-");

    // The restart step acts on that pod's deployment, confirmed.
    c.keys("5");
    c.keys("jjjjjjj");
    c.wait_text("Enter: rollout restart");
    c.keys("\r");
    c.wait_text("Confirm: Rollout restart deployment");
    c.wait_text("Target   deployment shop/backend");
    c.keys("y");
    c.wait_text("deployment.apps/backend restarted");

    // The demo heals: the check passes and ticks itself.
    c.wait_text("✓ No pod is crash-looping");
    c.wait_for("the restart step ticked", |s| s.contains("✓ Restart the failing deployment"));

    c.keys(":");
    c.keys("resolve incident\r");
    let s = c.wait_text("P1 incident resolved");
    assert!(s.contains("Pods down after deploy"), "the title in the summary:\n{s}");
    c.keys("\x1b");
    c.keys("q");
    assert!(c.wait_exit().success());
    assert!(!c.in_alternate_screen(), "terminal restored");
}
