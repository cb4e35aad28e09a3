//! The elements an archiving profile file (RelaxNG, As@lae's "profil
//! d'archives" / SHERPA export) makes mandatory, read in Rust (pure).
//!
//! Why read it here: an SAE rejects a whole transfer that lacks an element
//! its profile requires, after upload. The archivist can list those
//! elements in the configuration (`required_elements`); naming the profile
//! file (`archival_profile_file`) instead keeps the list in step with the
//! profile the SAE applies. xmllint then validates each finished manifest
//! against the same file ([`super::xsd::validate_relaxng_in`]): the Rust
//! reading below decides early and per dossier, xmllint has the last word.
//!
//! What is read: from `start`, the elements every valid manifest must hold,
//! with the path of element names that leads to each. A pattern counts as
//! required under `element`, `group`, `interleave`, `oneOrMore`, `mixed` and
//! through `ref`/`define` (followed once per path: recursive definitions end
//! there; a walk past `MAX_STEPS` patterns is refused). Nothing under
//! `optional`, `zeroOrMore` or `choice` counts: which branch of a choice
//! applies is not decided here (xmllint does). Elements named by a name class
//! (`anyName`, `nsName`, a `choice` of names) are not named, so not counted;
//! attributes, values and datatypes are left to xmllint. Namespaces are
//! ignored (SEDA has one); annotations (`a:documentation`) and `div` wrappers
//! are skipped over. `include`, `externalRef`, `parentRef` and nested
//! grammars are refused: a profile exported by As@lae is one self-contained
//! file, and following another file half-way would understate what it
//! requires.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// The RelaxNG namespace.
const RNG_NS: &[u8] = b"http://relaxng.org/ns/structure/1.0";

/// An element every manifest must hold, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    /// Local name (`Sender`).
    pub name: String,
    /// Element names from the root, slash-joined
    /// (`ArchiveTransfer/…/Content/Sender`).
    pub path: String,
}

impl Required {
    /// The name of the element this one sits in (`""` for the root).
    #[must_use]
    pub fn parent(&self) -> &str {
        let mut parts = self.path.rsplit('/');
        parts.next();
        parts.next().unwrap_or("")
    }
}

/// One RelaxNG element of the profile file.
#[derive(Debug, Default)]
struct Node {
    /// Local name (`element`, `ref`...).
    name: String,
    /// Unprefixed attributes.
    attrs: Vec<(String, String)>,
    /// Its own text (for `name`).
    text: String,
    /// RelaxNG children, in order.
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The elements a RelaxNG profile requires of every manifest, in document
/// order.
///
/// # Errors
/// Not XML, not RelaxNG, or a construct this reading refuses (see the
/// module documentation).
pub fn required_elements(rng: &str) -> Result<Vec<Required>, String> {
    let root = parse(rng)?;
    let mut defines: Vec<&Node> = Vec::new();
    let start = match root.name.as_str() {
        "grammar" => {
            let mut starts = Vec::new();
            collect_grammar(&root, &mut starts, &mut defines)?;
            match starts.as_slice() {
                [one] => *one,
                [] => return Err("the grammar has no <start>".to_owned()),
                _ => return Err("several <start> (combined starts are not read)".to_owned()),
            }
        }
        _ => &root,
    };
    let mut walk = Walk {
        defines,
        out: Vec::new(),
        path: Vec::new(),
        refs: Vec::new(),
        steps: 0,
    };
    walk.pattern(start)?;
    Ok(walk.out)
}

/// `start` and `define`s of a grammar, through `div`s.
fn collect_grammar<'a>(
    grammar: &'a Node,
    starts: &mut Vec<&'a Node>,
    defines: &mut Vec<&'a Node>,
) -> Result<(), String> {
    for c in &grammar.children {
        match c.name.as_str() {
            "start" => starts.push(c),
            "define" => defines.push(c),
            "div" => collect_grammar(c, starts, defines)?,
            "include" => return Err(refused("include")),
            other => return Err(format!("unexpected <{other}> in the grammar")),
        }
    }
    Ok(())
}

fn refused(what: &str) -> String {
    format!("<{what}> is not followed: give ds-archive the profile as one self-contained file")
}

struct Walk<'a> {
    defines: Vec<&'a Node>,
    out: Vec<Required>,
    path: Vec<String>,
    /// The `ref`s being followed, so a recursive definition ends.
    refs: Vec<String>,
    /// Patterns visited so far, against [`MAX_STEPS`].
    steps: usize,
}

/// How many patterns a walk may visit. Refs are followed once per path, so
/// definitions that each reference the next twice make 2^n paths: a file
/// that large is refused, not walked for ever into an endless list. Real
/// profiles, where a definition is reused a few times, stay far below.
const MAX_STEPS: usize = 1_000_000;

impl<'a> Walk<'a> {
    /// Record the elements `p` requires.
    fn pattern(&mut self, p: &'a Node) -> Result<(), String> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(format!(
                "reading it takes more than {MAX_STEPS} steps (definitions that reference \
                 each other over and over): refused rather than read for ever"
            ));
        }
        match p.name.as_str() {
            "element" => self.element(p),
            "start" | "group" | "interleave" | "oneOrMore" | "mixed" | "define" => self.children(p),
            "ref" => self.follow(p),
            "optional" | "zeroOrMore" | "choice" | "attribute" | "text" | "data" | "value"
            | "empty" | "notAllowed" | "list" => Ok(()),
            "externalRef" | "parentRef" | "grammar" | "include" => Err(refused(&p.name)),
            other => Err(format!("unexpected <{other}> in a pattern")),
        }
    }

    fn children(&mut self, p: &'a Node) -> Result<(), String> {
        p.children.iter().try_for_each(|c| self.pattern(c))
    }

    fn element(&mut self, e: &'a Node) -> Result<(), String> {
        let named = e
            .attr("name")
            .map(str::to_owned)
            .or_else(|| {
                let first = e.children.first()?;
                (first.name == "name").then(|| first.text.trim().to_owned())
            })
            .map(|n| n.rsplit(':').next().unwrap_or(&n).to_owned());
        let Some(name) = named.filter(|n| !n.is_empty()) else {
            // anyName, nsName or a choice of names: no one element required.
            return Ok(());
        };
        self.path.push(name.clone());
        self.out.push(Required {
            name,
            path: self.path.join("/"),
        });
        let body = e.children.iter().filter(|c| {
            !matches!(c.name.as_str(), "name" | "anyName" | "nsName") && !is_name_choice(c)
        });
        for c in body {
            self.pattern(c)?;
        }
        self.path.pop();
        Ok(())
    }

    fn follow(&mut self, r: &'a Node) -> Result<(), String> {
        let name = r.attr("name").unwrap_or_default().to_owned();
        if self.refs.contains(&name) {
            return Ok(());
        }
        let found: Vec<&'a Node> = self
            .defines
            .iter()
            .copied()
            .filter(|d| d.attr("name") == Some(name.as_str()))
            .collect();
        if found.is_empty() {
            return Err(format!("<ref name=\"{name}\"/> names no <define>"));
        }
        // Definitions combined as a choice are alternatives: none required.
        if found.iter().any(|d| d.attr("combine") == Some("choice")) {
            return Ok(());
        }
        self.refs.push(name);
        for d in found {
            self.children(d)?;
        }
        self.refs.pop();
        Ok(())
    }
}

/// A `choice` of names (first child of an `element`), not of patterns.
fn is_name_choice(c: &Node) -> bool {
    c.name == "choice"
        && c.children
            .iter()
            .all(|n| matches!(n.name.as_str(), "name" | "anyName" | "nsName" | "choice"))
}

/// The RelaxNG elements of the file as a tree; elements of other namespaces
/// (annotations) are dropped with their content.
fn parse(text: &str) -> Result<Node, String> {
    let mut reader = quick_xml::NsReader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    // Depth inside a foreign (annotation) element.
    let mut foreign = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not well-formed XML: {e}"))?;
        let is_rng = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == RNG_NS);
        match event {
            Event::Start(_) if foreign > 0 || !is_rng => foreign += 1,
            Event::End(_) if foreign > 0 => foreign -= 1,
            Event::Empty(_) if foreign > 0 || !is_rng => {}
            Event::Start(e) => stack.push(node(&e)?),
            Event::Empty(e) => {
                let n = node(&e)?;
                push_child(&mut stack, n)?;
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced XML")?;
                push_child(&mut stack, done)?;
            }
            Event::Text(t) if foreign == 0 => {
                let t = t.unescape().map_err(|e| format!("bad text: {e}"))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("not well-formed XML: an element is not closed".to_owned());
    }
    let mut top = stack.pop().ok_or("empty document")?;
    match top.children.pop() {
        Some(root) if top.children.is_empty() => Ok(root),
        _ => Err("not a RelaxNG schema (no element of the RelaxNG namespace at its root)".into()),
    }
}

fn push_child(stack: &mut [Node], n: Node) -> Result<(), String> {
    stack
        .last_mut()
        .map(|top| top.children.push(n))
        .ok_or_else(|| "unbalanced XML".to_owned())
}

fn node(e: &quick_xml::events::BytesStart<'_>) -> Result<Node, String> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad attribute: {err}"))?;
        if a.key.prefix().is_none() {
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let value = a
                .unescape_value()
                .map_err(|err| format!("bad attribute value: {err}"))?;
            attrs.push((key, value.trim().to_owned()));
        }
    }
    Ok(Node {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attrs,
        ..Node::default()
    })
}

#[cfg(test)]
mod tests;
