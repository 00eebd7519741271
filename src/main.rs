fn main() -> std::process::ExitCode {
    wsdbg::cmd::main()
}
