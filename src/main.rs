/// See `mimalloc` in Cargo.toml for why the server does not use the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    soriano::cli::main()
}
