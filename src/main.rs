use clap::Parser;

fn main() {
    kehoach::spare::start();
    let cli = kehoach::cli::Cli::parse();
    if let Err(e) = kehoach::cli::run(cli) {
        e.print();
        std::process::exit(e.code);
    }
}
