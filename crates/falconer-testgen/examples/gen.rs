fn main() {
    print!("{}", falconer_testgen::generate(4500));
}
