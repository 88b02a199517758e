//! Compares the fast path with the saphyr path on files:
//! `cargo run -p falconer-yaml --example yaml_fastdiff -- [-v] FILE...`
//! (`-v` prints both trees).

fn main() {
    let mut verbose = false;
    for path in std::env::args().skip(1) {
        if path == "-v" {
            verbose = true;
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let slow = falconer_yaml::parse_saphyr(&text);
        let fast = falconer_yaml::parse_fast(&text);
        match &fast {
            None => println!("{path}: fast path bailed"),
            Some(fast) if *fast == slow => println!("{path}: same"),
            Some(fast) => {
                println!("{path}: DIFFERENT");
                let a = falconer_yaml::debug::render(&slow);
                let b = falconer_yaml::debug::render(fast);
                for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
                    if x != y {
                        println!("  line {i}:\n    saphyr: {x}\n    fast:   {y}");
                        break;
                    }
                }
            }
        }
        if verbose {
            println!("saphyr:\n{}", falconer_yaml::debug::render(&slow));
            if let Some(fast) = &fast {
                println!("fast:\n{}", falconer_yaml::debug::render(fast));
            }
        }
    }
}
