//! Runs one input through a target's harness outside libFuzzer, with a readable trace on stderr:
//! `cargo run --example replay -- server|client FILE` (from `fuzz/`).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(role), Some(file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: replay server|client FILE");
        std::process::exit(2);
    };
    let data = std::fs::read(file).expect("read the input");
    let role = match role.as_str() {
        "server" => https_kit_fuzz::peer::Role::Server,
        _ => https_kit_fuzz::peer::Role::Client,
    };
    std::env::set_var("HTTPS_KIT_FUZZ_TRACE", "1");
    https_kit_fuzz::peer::Harness::run(&data, role);
    eprintln!("ok: every invariant held");
}
