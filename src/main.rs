fn main() -> std::process::ExitCode {
    soriano::cli::main()
}
