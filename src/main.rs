use clap::Parser;

fn main() {
    // The spare thread serves a search only (cli::run releases it for any other command); not
    // started where no argument could name the search command.
    if std::env::args_os().skip(1).any(|a| a == "search") {
        kehoach::spare::start();
    }
    let cli = kehoach::cli::Cli::parse();
    if let Err(e) = kehoach::cli::run(cli) {
        e.print();
        std::process::exit(e.code);
    }
}
