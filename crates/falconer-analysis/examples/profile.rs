use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let t = Instant::now();
    let y = falconer_yaml::parse(&text);
    println!("yaml parse: {:?} ({} docs)", t.elapsed(), y.documents.len());
    let t = Instant::now();
    let items = falconer_analysis::checks::read::read_file(0, &y);
    println!("read: {:?} ({} items)", t.elapsed(), items.items.len());
    let t = Instant::now();
    let c = falconer_analysis::collect::collect(&[&items]);
    println!("collect: {:?}", t.elapsed());
    let _ = c;
    let mut host = falconer_analysis::AnalysisHost::default();
    host.set_files(vec![("x".into(), text.clone())]);
    let t = Instant::now();
    let _ = host.collected();
    println!("host collected: {:?}", t.elapsed());
    let t = Instant::now();
    let _ = host.compiled();
    println!("host compiled: {:?}", t.elapsed());
    let t = Instant::now();
    let n = host.diagnostics().len();
    println!("host diagnostics: {:?} ({n})", t.elapsed());
}
