use clap::Parser;

fn main() {
    let cli = kehoach::cli::Cli::parse();
    if let Err(e) = kehoach::cli::run(cli) {
        e.print();
        std::process::exit(e.code);
    }
}
