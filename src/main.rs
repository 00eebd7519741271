#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    wsdbg::cmd::main()
}
