//! The condition grammar, parsed into an AST.
//!
//! Precedence, least to most binding: `or` < `and` < `not` < `x of` < parentheses.
//! `and` and `or` are left-associative; `not` nests. Keywords are lower case, as in pySigma.
//!
//! ```text
//! or_expr  := and_expr ( "or" and_expr )*
//! and_expr := not_expr ( "and" not_expr )*
//! not_expr := "not" not_expr | operand
//! operand  := "(" or_expr ")" | quant "of" ( "them" | pattern ) | identifier
//! quant    := "all" | "any" | <positive integer>
//! ```

/// How many of a group must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `all of`.
    All,
    /// `N of` (`1 of` and `any of` are `AtLeast(1)`).
    AtLeast(usize),
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// A search identifier.
    Ident(String),
    /// `quant of pattern`, or `quant of them` (pattern `None`).
    Of(Quantifier, Option<String>),
    /// `not x`.
    Not(Box<Condition>),
    /// `a and b and …`.
    And(Vec<Condition>),
    /// `a or b or …`.
    Or(Vec<Condition>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
}

fn tokenize(s: &str) -> Result<Vec<(Tok, usize)>, String> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            out.push((Tok::LParen, i));
            chars.next();
        } else if c == ')' {
            out.push((Tok::RParen, i));
            chars.next();
        } else if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.' | '?') {
            let mut w = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.' | '?') {
                    w.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push((Tok::Word(w), i));
        } else if c == '|' {
            return Err(format!(
                "unexpected `|` at column {}: the v1 aggregation syntax (`| count() …`) is obsolete; use a correlation rule",
                i + 1
            ));
        } else {
            return Err(format!("unexpected character `{c}` at column {}", i + 1));
        }
    }
    Ok(out)
}

/// Parses a condition string.
pub fn parse(s: &str) -> Result<Condition, String> {
    let toks = tokenize(s)?;
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser { toks, pos: 0 };
    let c = p.or_expr(0)?;
    match p.toks.get(p.pos) {
        None => Ok(c),
        Some((t, i)) => Err(format!("unexpected {} at column {}", show(t), i + 1)),
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Word(w) => format!("`{w}`"),
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

const MAX_NESTING: usize = 200;

impl Parser {
    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some((Tok::Word(w), _)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn or_expr(&mut self, depth: usize) -> Result<Condition, String> {
        let mut items = vec![self.and_expr(depth)?];
        while self.peek_word() == Some("or") {
            self.pos += 1;
            items.push(self.and_expr(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Condition::Or(items)
        })
    }

    fn and_expr(&mut self, depth: usize) -> Result<Condition, String> {
        let mut items = vec![self.not_expr(depth)?];
        while self.peek_word() == Some("and") {
            self.pos += 1;
            items.push(self.not_expr(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Condition::And(items)
        })
    }

    fn not_expr(&mut self, depth: usize) -> Result<Condition, String> {
        if depth > MAX_NESTING {
            return Err("condition nested too deeply".into());
        }
        if self.peek_word() == Some("not") {
            self.pos += 1;
            return Ok(Condition::Not(Box::new(self.not_expr(depth + 1)?)));
        }
        self.operand(depth)
    }

    fn operand(&mut self, depth: usize) -> Result<Condition, String> {
        let Some((tok, col)) = self.toks.get(self.pos).cloned() else {
            return Err("condition ends where an operand was expected".into());
        };
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let c = self.or_expr(depth + 1)?;
                match self.toks.get(self.pos) {
                    Some((Tok::RParen, _)) => {
                        self.pos += 1;
                        Ok(c)
                    }
                    Some((t, i)) => Err(format!(
                        "expected `)` but found {} at column {}",
                        show(t),
                        i + 1
                    )),
                    None => Err(format!("unclosed `(` at column {}", col + 1)),
                }
            }
            Tok::RParen => Err(format!("unexpected `)` at column {}", col + 1)),
            Tok::Word(w) => {
                let quant = match w.as_str() {
                    "all" => Some(Quantifier::All),
                    "any" => Some(Quantifier::AtLeast(1)),
                    n if n.bytes().all(|b| b.is_ascii_digit()) => match n.parse::<usize>() {
                        Ok(k) if k > 0 => Some(Quantifier::AtLeast(k)),
                        _ => return Err(format!("invalid count `{n}` at column {}", col + 1)),
                    },
                    _ => None,
                };
                if let Some(q) = quant {
                    if self.peek_word() != Some("of") {
                        return Err(format!("expected `of` after `{w}` at column {}", col + 1));
                    }
                    self.pos += 1;
                    let Some((Tok::Word(target), tcol)) = self.toks.get(self.pos).cloned() else {
                        return Err(format!("expected a pattern or `them` after `{w} of`"));
                    };
                    self.pos += 1;
                    if is_keyword(&target) {
                        return Err(format!(
                            "unexpected `{target}` at column {} after `of`",
                            tcol + 1
                        ));
                    }
                    return Ok(Condition::Of(q, (target != "them").then_some(target)));
                }
                if is_keyword(&w) || w == "them" {
                    return Err(format!("unexpected `{w}` at column {}", col + 1));
                }
                if w.contains('*') {
                    return Err(format!(
                        "pattern `{w}` at column {} needs a quantifier (`1 of {w}` or `all of {w}`)",
                        col + 1
                    ));
                }
                Ok(Condition::Ident(w))
            }
        }
    }
}

fn is_keyword(w: &str) -> bool {
    matches!(w, "and" | "or" | "not" | "of")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Condition {
        Condition::Ident(s.into())
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        assert_eq!(
            parse("a or b and c").unwrap(),
            Condition::Or(vec![id("a"), Condition::And(vec![id("b"), id("c")])])
        );
        assert_eq!(
            parse("a and b or c").unwrap(),
            Condition::Or(vec![Condition::And(vec![id("a"), id("b")]), id("c")])
        );
    }

    #[test]
    fn not_binds_tighter_than_and() {
        assert_eq!(
            parse("not a and b").unwrap(),
            Condition::And(vec![Condition::Not(Box::new(id("a"))), id("b")])
        );
        assert_eq!(
            parse("not not a").unwrap(),
            Condition::Not(Box::new(Condition::Not(Box::new(id("a")))))
        );
    }

    #[test]
    fn parentheses_and_of() {
        assert_eq!(
            parse("(a or b) and not 1 of filter_*").unwrap(),
            Condition::And(vec![
                Condition::Or(vec![id("a"), id("b")]),
                Condition::Not(Box::new(Condition::Of(
                    Quantifier::AtLeast(1),
                    Some("filter_*".into())
                )))
            ])
        );
        assert_eq!(
            parse("all of them").unwrap(),
            Condition::Of(Quantifier::All, None)
        );
        assert_eq!(
            parse("2 of sel*").unwrap(),
            Condition::Of(Quantifier::AtLeast(2), Some("sel*".into()))
        );
        assert_eq!(
            parse("any of x").unwrap(),
            Condition::Of(Quantifier::AtLeast(1), Some("x".into()))
        );
    }

    #[test]
    fn errors_name_the_token() {
        let e = parse("a and or b").unwrap_err();
        assert!(e.contains("`or`"), "{e}");
        let e = parse("(a or b").unwrap_err();
        assert!(e.contains("unclosed"), "{e}");
        let e = parse("a b").unwrap_err();
        assert!(e.contains("`b`"), "{e}");
        let e = parse("sel | count() > 5").unwrap_err();
        assert!(e.contains("obsolete"), "{e}");
        assert!(parse("").is_err());
        assert!(parse("1 of").is_err());
        assert!(parse("0 of x").is_err());
        assert!(parse("sel*").is_err());
        assert!(parse(")").is_err());
        assert!(parse(&"(".repeat(1000)).is_err());
        assert!(parse(&"not ".repeat(1000)).is_err());
    }
}
