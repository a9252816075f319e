//! The shape of `src/`, checked from the code itself: the top-level modules import each other
//! without a cycle (so each layer can be read, tested and changed below the ones that use
//! it), and no file's code outgrows a read (700 lines before its tests).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a file's code may be, its `#[cfg(test)]` part aside.
const MAX_CODE_LINES: usize = 700;

/// Files that are tables rather than logic, allowed to be longer.
const TABLES: [&str; 0] = [];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The code of a file without its comments (doc links are not imports) and string literals.
fn code_of(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default();
        // Drop string literals so a message naming `crate::x` is not an import.
        let mut in_string = false;
        let mut escaped = false;
        for ch in line.chars() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '"' {
                    in_string = false;
                }
            } else if ch == '"' {
                in_string = true;
            } else {
                code.push(ch);
            }
        }
        code.push('\n');
    }
    code
}

/// The top-level module a file belongs to (`backend` for `src/backend/queue.rs`), or `None`
/// for the crate root and the binary.
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (name != "lib" && name != "main").then_some(name)
}

/// Which top-level modules each one uses, read from `crate::name` paths in its code.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|path| module_of(path)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let Some(module) = module_of(path) else { continue };
        let code = code_of(&std::fs::read_to_string(path).unwrap_or_default());
        let uses = graph.entry(module.clone()).or_default();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            // `crate::name` or `crate::{a, b::c}`.
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|item| item.trim().split("::").next().unwrap_or_default())
                    .collect(),
                None => {
                    vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default()]
                }
            };
            for name in names {
                if name != module && modules.contains(name) {
                    uses.insert(name.to_owned());
                }
            }
        }
    }
    graph
}

/// A cycle in the graph, as the modules around it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_top_level_modules_import_each_other_without_a_cycle() {
    let graph = module_graph();
    assert!(graph.len() > 15, "the modules were found: {graph:?}");
    assert!(graph["commands"].contains("record"), "imports are read: {:?}", graph["commands"]);
    if let Some(cycle) = find_cycle(&graph) {
        panic!("a cycle between top-level modules: {}", cycle.join(" → "));
    }
}

#[test]
fn the_check_finds_a_cycle_when_there_is_one() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    graph.get_mut("c").map(BTreeSet::clear);
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn the_engines_never_import_a_command_or_the_window() {
    let graph = module_graph();
    for (module, uses) in &graph {
        if module == "commands" {
            continue;
        }
        assert!(!uses.contains("commands"), "{module} imports a command: {uses:?}");
        if !["app", "ui"].contains(&module.as_str()) {
            assert!(!uses.contains("app") && !uses.contains("ui"), "{module} imports the window: {uses:?}");
        }
    }
}

#[test]
fn no_file_has_more_than_700_lines_of_code_before_its_tests() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let code = text.lines().take_while(|line| !line.starts_with("#[cfg(test)]")).count();
        let name = path.strip_prefix(src()).unwrap_or(&path).to_string_lossy().into_owned();
        if code > MAX_CODE_LINES && !TABLES.contains(&name.as_str()) && !name.contains("test") {
            long.push(format!("{name}: {code}"));
        }
    }
    assert!(long.is_empty(), "over {MAX_CODE_LINES} lines of code: {long:?}");
}
