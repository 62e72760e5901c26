//! `warroom import RUNBOOK.md`: a Markdown runbook turned into a playbook
//! file to edit. Headings become phases, `- [ ]` items steps to read and
//! tick, fenced shell blocks script steps (risk `change`, marked for
//! review), commands the console can check itself suggested as that check
//! in a comment, and everything else guidance text on the steps. A fenced
//! Markdown block (a checklist quoted in a runbook) is imported as
//! Markdown. The result always loads as a playbook.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A phase as imported.
#[derive(Debug, Default)]
struct PhaseDraft {
    name: String,
    steps: Vec<StepDraft>,
    /// Guidance not yet attached to a step.
    text: Vec<String>,
}

#[derive(Debug)]
struct StepDraft {
    title: String,
    text: Vec<String>,
    script: Option<String>,
    /// Checks the console could run instead, suggested in a comment.
    suggested: Vec<&'static str>,
}

/// Commands the console can check itself, and the check that does it.
const RECOGNISED: &[(&str, &str)] = &[
    ("kubectl get pods", "check = { name = \"pods_ready\" } or { name = \"no_crashloop\" }"),
    ("kubectl get events", "check = { name = \"no_warning_events\" }"),
    ("kubectl get deploy", "check = { name = \"deployments_available\" }"),
    ("kubectl rollout status", "check = { name = \"deployments_available\" }"),
    ("aws rds describe-db-instances", "check = { name = \"rds_available\" }"),
    ("aws cloudwatch describe-alarms", "check = { name = \"alarms_clear\" }"),
    ("aws cloudtrail get-trail-status", "check = { name = \"trail_logging\" }"),
    ("ConsoleLogin", "check = { name = \"failed_logins_below\", count = 10 }"),
];

/// Shell languages whose blocks become script steps.
fn is_shell(lang: &str) -> bool {
    matches!(lang, "" | "bash" | "sh" | "shell" | "zsh" | "console")
}

/// Imports `markdown` (from a file named `stem`) as playbook TOML.
pub fn import(markdown: &str, stem: &str) -> String {
    let mut title = String::new();
    let mut phases: Vec<PhaseDraft> = Vec::new();
    walk(markdown, &mut title, &mut phases);
    for p in &mut phases {
        // Guidance after the last step goes on it; a phase of text only
        // gets one step to read it.
        let rest = std::mem::take(&mut p.text);
        match p.steps.last_mut() {
            Some(s) => s.text.extend(rest),
            None if !rest.is_empty() => p.steps.push(StepDraft {
                title: format!("Read: {}", p.name),
                text: rest,
                script: None,
                suggested: Vec::new(),
            }),
            None => {}
        }
    }
    phases.retain(|p| !p.steps.is_empty());
    if phases.is_empty() {
        phases.push(PhaseDraft {
            name: "Runbook".into(),
            steps: vec![StepDraft {
                title: "Read the runbook".into(),
                text: Vec::new(),
                script: None,
                suggested: Vec::new(),
            }],
            text: Vec::new(),
        });
    }
    if title.is_empty() {
        title = stem.to_string();
    }
    render(&title, stem, &phases)
}

/// Reads `markdown` into phases; a fenced Markdown block is read the same
/// way, in place.
fn walk(markdown: &str, title: &mut String, phases: &mut Vec<PhaseDraft>) {
    let mut heading: Option<HeadingLevel> = None;
    let mut heading_text = String::new();
    let mut code: Option<String> = None;
    let mut code_text = String::new();
    // The list items open, outermost first: (a task, its text, its step
    // made already).
    let mut items: Vec<(bool, String, bool)> = Vec::new();
    let mut para = String::new();
    let parser = Parser::new_ext(markdown, Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES);
    for event in parser {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some(level);
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(level)) => {
                heading = None;
                let name = one_line(&heading_text);
                if level == HeadingLevel::H1 && title.is_empty() {
                    *title = name;
                } else if !name.is_empty() {
                    phases.push(PhaseDraft { name, ..PhaseDraft::default() });
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                code = Some(match kind {
                    CodeBlockKind::Fenced(lang) => lang.split_whitespace().next().unwrap_or("").to_lowercase(),
                    CodeBlockKind::Indented => String::new(),
                });
                code_text.clear();
            }
            Event::End(TagEnd::CodeBlock) => {
                let lang = code.take().unwrap_or_default();
                let body = std::mem::take(&mut code_text);
                if matches!(lang.as_str(), "markdown" | "md") {
                    walk(&body, title, phases);
                } else if is_shell(&lang) && !body.trim().is_empty() {
                    let phase = current(phases);
                    let text = std::mem::take(&mut phase.text);
                    let name = phase.name.clone();
                    phase.steps.push(script_step(&body, &name, text));
                } else if !body.trim().is_empty() {
                    current(phases).text.push(body.trim_end().to_string());
                }
            }
            Event::Start(Tag::Item) => {
                // A nested list: its parent's own text is complete, and a
                // parent task is a step before its children.
                match items.last_mut() {
                    Some(parent) => {
                        parent.1.push_str(&std::mem::take(&mut para));
                        if parent.0 && !parent.2 {
                            parent.2 = true;
                            task_step(phases, &parent.1);
                        }
                    }
                    None => flush_para(&mut para, phases),
                }
                items.push((false, String::new(), false));
            }
            Event::TaskListMarker(_) => {
                if let Some(item) = items.last_mut() {
                    item.0 = true;
                }
            }
            Event::End(TagEnd::Item) => {
                let (task, mut text, made) = items.pop().unwrap_or_default();
                text.push_str(&std::mem::take(&mut para));
                let text = one_line(&text);
                if task && !made {
                    task_step(phases, &text);
                } else if !task && !text.is_empty() {
                    current(phases).text.push(format!("- {text}"));
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::TableRow | TagEnd::TableHead) if items.is_empty() => {
                flush_para(&mut para, phases)
            }
            Event::Text(t) | Event::Code(t) => {
                if heading.is_some() {
                    heading_text.push_str(&t);
                } else if code.is_some() {
                    code_text.push_str(&t);
                } else {
                    para.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => para.push(' '),
            Event::End(TagEnd::TableCell) => para.push_str(" · "),
            _ => {}
        }
    }
    flush_para(&mut para, phases);
}

/// A `- [ ]` item as a step to read and tick, with the guidance before it.
fn task_step(phases: &mut Vec<PhaseDraft>, text: &str) {
    let title = one_line(text);
    if title.is_empty() {
        return;
    }
    let phase = current(phases);
    let guidance = std::mem::take(&mut phase.text);
    phase.steps.push(StepDraft { title, text: guidance, script: None, suggested: Vec::new() });
}

fn flush_para(para: &mut String, phases: &mut Vec<PhaseDraft>) {
    let text = one_line(&std::mem::take(para));
    let text = text.trim_end_matches(" ·").to_string();
    if !text.is_empty() {
        current(phases).text.push(text);
    }
}

/// The phase being filled (one named after the runbook before any
/// heading).
fn current(phases: &mut Vec<PhaseDraft>) -> &mut PhaseDraft {
    if phases.is_empty() {
        phases.push(PhaseDraft { name: "Overview".into(), ..PhaseDraft::default() });
    }
    let last = phases.len() - 1;
    &mut phases[last]
}

/// A shell block as a script step, titled by its first comment.
fn script_step(body: &str, phase: &str, text: Vec<String>) -> StepDraft {
    let comment = body
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with('#') && !l.starts_with("#!"))
        .map(|l| one_line(l.trim_start_matches('#').trim()))
        .filter(|l| !l.is_empty());
    let mut suggested: Vec<&'static str> =
        RECOGNISED.iter().filter(|(cmd, _)| body.contains(cmd)).map(|(_, check)| *check).collect();
    suggested.dedup();
    StepDraft {
        title: comment.unwrap_or_else(|| format!("Run the {phase} commands")),
        text,
        script: Some(body.trim_end().to_string()),
        suggested,
    }
}

/// Whitespace collapsed, and no more than a title should hold.
fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// A lower-case id of letters, digits and `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "step".into() } else { out }
}

/// A TOML string: a multi-line literal where that needs no escaping,
/// else a basic string.
fn toml_str(s: &str) -> String {
    let plain =
        !s.contains("'''") && !s.ends_with('\'') && s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control());
    if s.contains('\n') && plain { format!("'''\n{s}'''") } else { basic_str(s) }
}

/// A TOML basic string: quotes, backslashes and control characters
/// escaped.
fn basic_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render(title: &str, stem: &str, phases: &[PhaseDraft]) -> String {
    let mut out = String::new();
    out.push_str(&format!("# Imported from {stem}.md: review every step before relying on it.\n"));
    out.push_str(&format!("id = {}\n", toml_str(&slug(stem))));
    out.push_str(&format!("title = {}\n", toml_str(title)));
    out.push_str("# An incident playbook says severity = \"P1\" … \"P4\" instead.\n");
    out.push_str("kind = \"routine\"\n");
    let mut ids = std::collections::HashSet::new();
    for p in phases {
        out.push_str(&format!("\n[[phase]]\nname = {}\n", toml_str(&p.name)));
        for s in &p.steps {
            let base = slug(&s.title);
            let mut id = base.clone();
            let mut n = 2;
            while !ids.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            out.push_str("\n[[phase.step]]\n");
            for check in &s.suggested {
                out.push_str(&format!("# The console can check this itself: {check}\n"));
            }
            out.push_str(&format!("id = {}\ntitle = {}\n", toml_str(&id), toml_str(&s.title)));
            if !s.text.is_empty() {
                out.push_str(&format!("text = {}\n", toml_str(&s.text.join("\n"))));
            }
            if let Some(script) = &s.script {
                out.push_str(&format!(
                    "script = {{ script = {}, risk = \"change\", review = true }}\n",
                    toml_str(script)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
