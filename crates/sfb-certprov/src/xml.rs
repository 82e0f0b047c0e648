//! A bounded XML tree for the service answers (RSTR, SOAP faults, mex): element local names,
//! attributes, text and each element's byte span in the input (so the assertion is kept
//! byte-exact). Namespace prefixes are ignored; names are compared exactly.
//!
//! Limits: total size, depth, node count and attributes per element. A `<!DOCTYPE>` is rejected
//! (quick-xml never expands DTD entities; refusing the declaration makes that explicit), and so
//! is a reference to any entity other than the five predefined ones and character references.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Limits for one XML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Largest document in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Most elements.
    pub max_nodes: usize,
    /// Most attributes on one element.
    pub max_attributes: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits {
            max_bytes: 256 * 1024,
            max_depth: 32,
            max_nodes: 4096,
            max_attributes: 32,
        }
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Larger than the byte limit.
    #[error("xml document larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8.
    #[error("xml document is not utf-8")]
    NotUtf8,
    /// A DOCTYPE declaration.
    #[error("xml document has a doctype declaration (rejected)")]
    DoctypeRejected,
    /// An entity reference other than the predefined ones.
    #[error("xml document references an undefined entity")]
    UnknownEntity,
    /// Nested deeper than the limit.
    #[error("xml document nested deeper than {limit} elements")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More elements than the limit.
    #[error("xml document has more than {limit} elements")]
    TooManyNodes {
        /// The limit.
        limit: usize,
    },
    /// More attributes on one element than the limit.
    #[error("xml element has more than {limit} attributes")]
    TooManyAttributes {
        /// The limit.
        limit: usize,
    },
    /// Not well-formed.
    #[error("malformed xml at byte {position}: {message}")]
    Malformed {
        /// Byte offset.
        position: u64,
        /// What the reader said.
        message: String,
    },
}

/// One element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    /// Concatenated direct text content (entities resolved).
    pub(crate) text: String,
    pub(crate) children: Vec<usize>,
    /// Byte span of the whole element (start tag to end tag) in the input.
    pub(crate) span: (usize, usize),
}

/// A parsed document: elements in document order, the root at index 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tree {
    pub(crate) elements: Vec<Element>,
}

const PREDEFINED: [(&str, char); 5] = [
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("apos", '\''),
    ("quot", '"'),
];

fn to_usize(p: u64) -> usize {
    usize::try_from(p).unwrap_or(usize::MAX)
}

fn malformed(reader: &Reader<&[u8]>, message: impl Into<String>) -> XmlError {
    XmlError::Malformed {
        position: reader.buffer_position(),
        message: message.into(),
    }
}

/// Reads a document under `limits`.
pub(crate) fn parse(body: &[u8], limits: &XmlLimits) -> Result<Tree, XmlError> {
    if body.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let text = text.get(bom..).unwrap_or_default();
    let mut reader = Reader::from_str(text);
    let mut elements: Vec<Element> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    loop {
        let before = to_usize(reader.buffer_position()) + bom;
        let event = reader
            .read_event()
            .map_err(|e| malformed(&reader, e.to_string()))?;
        let after = to_usize(reader.buffer_position()) + bom;
        match event {
            Event::DocType(_) => return Err(XmlError::DoctypeRejected),
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                let c = if let Some(num) = name.strip_prefix('#') {
                    let n = match num.strip_prefix('x') {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => num.parse().ok(),
                    };
                    n.and_then(char::from_u32).ok_or(XmlError::UnknownEntity)?
                } else {
                    PREDEFINED
                        .iter()
                        .find(|(n, _)| *n == name.as_ref())
                        .map(|(_, c)| *c)
                        .ok_or(XmlError::UnknownEntity)?
                };
                if let Some(e) = stack.last().and_then(|&i| elements.get_mut(i)) {
                    e.text.push(c);
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if elements.len() >= limits.max_nodes {
                    return Err(XmlError::TooManyNodes {
                        limit: limits.max_nodes,
                    });
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                if stack.is_empty() && !elements.is_empty() {
                    return Err(malformed(&reader, "second top-level element"));
                }
                let attrs = attributes(e, limits)?;
                let name = e.local_name().as_ref().to_owned();
                let index = elements.len();
                elements.push(Element {
                    name,
                    attrs,
                    text: String::new(),
                    children: Vec::new(),
                    span: (before, after),
                });
                if let Some(parent) = stack.last().and_then(|&i| elements.get_mut(i)) {
                    parent.children.push(index);
                }
                if !empty {
                    stack.push(index);
                }
            }
            Event::End(_) => {
                let Some(i) = stack.pop() else {
                    return Err(malformed(&reader, "end tag without start tag"));
                };
                if let Some(e) = elements.get_mut(i) {
                    e.span.1 = after;
                }
            }
            Event::Text(t) => {
                if let Some(e) = stack.last().and_then(|&i| elements.get_mut(i)) {
                    e.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::CData(t) => {
                if let Some(e) = stack.last().and_then(|&i| elements.get_mut(i)) {
                    e.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed(&reader, "unclosed element at end of document"));
    }
    if elements.is_empty() {
        return Err(malformed(&reader, "no root element"));
    }
    Ok(Tree { elements })
}

fn attributes(e: &BytesStart<'_>, limits: &XmlLimits) -> Result<Vec<(String, String)>, XmlError> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| XmlError::Malformed {
            position: 0,
            message: err.to_string(),
        })?;
        if out.len() >= limits.max_attributes {
            return Err(XmlError::TooManyAttributes {
                limit: limits.max_attributes,
            });
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| XmlError::UnknownEntity)?;
        let key = a.key.local_name().as_ref().to_owned();
        out.push((key, value.into_owned()));
    }
    Ok(out)
}

impl Element {
    /// An attribute by local name.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Tree {
    /// The element at `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&Element> {
        self.elements.get(i)
    }

    /// The root element.
    #[cfg(test)]
    pub(crate) fn root(&self) -> Option<&Element> {
        self.elements.first()
    }

    /// The first child of `parent` named `name`.
    pub(crate) fn child(&self, parent: usize, name: &str) -> Option<usize> {
        self.get(parent)?
            .children
            .iter()
            .copied()
            .find(|&c| self.get(c).is_some_and(|e| e.name == name))
    }

    /// Follows a path of child names from `from`.
    pub(crate) fn path(&self, from: usize, names: &[&str]) -> Option<usize> {
        names.iter().try_fold(from, |at, n| self.child(at, n))
    }

    /// The first element in document order at or below `from` named `name`.
    pub(crate) fn find(&self, from: usize, name: &str) -> Option<usize> {
        let (start, end) = self.get(from)?.span;
        self.elements
            .iter()
            .enumerate()
            .skip(from)
            .take_while(|(_, e)| e.span.0 >= start && e.span.1 <= end)
            .find(|(_, e)| e.name == name)
            .map(|(i, _)| i)
    }

    /// Every element in document order named `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.elements
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.name == name)
            .map(|(i, _)| i)
    }

    /// The trimmed text of element `i`.
    pub(crate) fn text(&self, i: usize) -> Option<&str> {
        self.get(i).map(|e| e.text.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Tree, XmlError> {
        parse(s.as_bytes(), &XmlLimits::default())
    }

    #[test]
    fn spans_are_byte_exact() {
        let doc = "\u{feff}<a:r xmlns:a=\"u\"><x k=\"v&amp;w\">t&lt;1&#65;</x><y/></a:r>";
        let t = p(doc).unwrap();
        let x = t.child(0, "x").unwrap();
        let e = t.get(x).unwrap();
        assert_eq!(
            &doc.as_bytes()[e.span.0..e.span.1],
            b"<x k=\"v&amp;w\">t&lt;1&#65;</x>"
        );
        assert_eq!(e.text, "t<1A");
        assert_eq!(e.attr("k"), Some("v&w"));
        let y = t.find(0, "y").unwrap();
        let e = t.get(y).unwrap();
        assert_eq!(&doc.as_bytes()[e.span.0..e.span.1], b"<y/>");
        assert_eq!(t.root().unwrap().name, "r");
    }

    #[test]
    fn hostile_documents() {
        assert_eq!(
            p("<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>"),
            Err(XmlError::DoctypeRejected)
        );
        assert_eq!(p("<r>&e;</r>"), Err(XmlError::UnknownEntity));
        assert_eq!(p("<r>&#xFFFFFFFF;</r>"), Err(XmlError::UnknownEntity));
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert_eq!(p(&deep), Err(XmlError::TooDeep { limit: 32 }));
        let wide = format!("<r>{}</r>", "<a/>".repeat(5000));
        assert_eq!(p(&wide), Err(XmlError::TooManyNodes { limit: 4096 }));
        let attrs: String = (0..40).map(|i| format!(" a{i}=\"x\"")).collect();
        assert_eq!(
            p(&format!("<r{attrs}/>")),
            Err(XmlError::TooManyAttributes { limit: 32 })
        );
        let big = vec![b' '; 300 * 1024];
        assert_eq!(
            parse(&big, &XmlLimits::default()),
            Err(XmlError::TooLarge { limit: 256 * 1024 })
        );
        assert_eq!(
            parse(b"<r>\xff</r>", &XmlLimits::default()),
            Err(XmlError::NotUtf8)
        );
        assert!(matches!(p("<r><a></r>"), Err(XmlError::Malformed { .. })));
        assert!(matches!(p("<r/><s/>"), Err(XmlError::Malformed { .. })));
        assert!(matches!(p(""), Err(XmlError::Malformed { .. })));
        assert!(matches!(p("<r>"), Err(XmlError::Malformed { .. })));
    }
}
