//! Prints the tree of a YAML file in the compact debug rendering:
//! `cargo run -p falconer-yaml --example yaml_dump -- rules.yaml`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    print!(
        "{}",
        falconer_yaml::debug::render(&falconer_yaml::parse(&text))
    );
}
