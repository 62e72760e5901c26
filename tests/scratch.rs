use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::app::{App, Flags};
use warroom::fixtures::{demo_app_with, press};

fn text(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| warroom::ui::draw(app, f)).unwrap();
    let buf = terminal.backend().buffer();
    let mut s = String::new();
    for y in 0..app.size.1 {
        for x in 0..app.size.0 {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

#[test]
fn show() {
    let flags = Flags { read_only: true, read_only_locked: false, dry_run: true };
    let w: u16 = std::env::var("W").unwrap().parse().unwrap();
    let h: u16 = std::env::var("H").unwrap().parse().unwrap();
    let mut app = demo_app_with(60, (w, h), "default", "default", flags);
    press(&mut app, &std::env::var("KEYS").unwrap_or_default());
    app.settle();
    println!("{}", text(&app));
}
