//! `textDocument/semanticTokens/full` and `/range`: the tokens of the
//! Falco languages inside the YAML (conditions, outputs, macro and list
//! names). The legend, declared in the capabilities, maps the analysis's
//! token types to LSP's standard ones; tokens are single-line and never
//! overlap, lengths are in the negotiated encoding.

use crate::state::Snapshot;
use falconer_analysis::ide::{self, token_modifiers, TokenType};
use falconer_analysis::FileId;
use falconer_text::Span;
use tower_lsp_server::ls_types::{
    Range, SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens,
    SemanticTokensLegend, SemanticTokensParams, SemanticTokensRangeParams,
    SemanticTokensRangeResult, SemanticTokensResult,
};

fn lsp_type(t: TokenType) -> SemanticTokenType {
    match t {
        TokenType::Field => SemanticTokenType::PROPERTY,
        TokenType::FieldArg => SemanticTokenType::PARAMETER,
        TokenType::Operator => SemanticTokenType::OPERATOR,
        TokenType::Macro => SemanticTokenType::MACRO,
        TokenType::List => SemanticTokenType::VARIABLE,
        TokenType::String => SemanticTokenType::STRING,
        TokenType::Number => SemanticTokenType::NUMBER,
        TokenType::Transformer => SemanticTokenType::FUNCTION,
        TokenType::Keyword => SemanticTokenType::KEYWORD,
    }
}

/// The legend: token types in [`TokenType::ALL`] order, modifiers in bit
/// order.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TokenType::ALL.into_iter().map(lsp_type).collect(),
        token_modifiers: token_modifiers::NAMES
            .iter()
            .map(|m| match *m {
                "declaration" => SemanticTokenModifier::DECLARATION,
                _ => SemanticTokenModifier::DEPRECATED,
            })
            .collect(),
    }
}

fn encode(snap: &Snapshot, file: FileId, range: Option<Span>) -> SemanticTokens {
    let map = snap.line_map(file);
    let mut data = Vec::new();
    let (mut line, mut col) = (0u32, 0u32);
    for t in ide::semantic_tokens(&snap.analysis, file, range) {
        let r = map.range(t.span);
        if r.start.line != r.end.line || r.end.character <= r.start.character {
            continue;
        }
        let delta_line = r.start.line - line;
        let delta_start = if delta_line == 0 {
            r.start.character - col
        } else {
            r.start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: r.end.character - r.start.character,
            token_type: TokenType::ALL.iter().position(|x| *x == t.ty).unwrap_or(0) as u32,
            token_modifiers_bitset: t.modifiers,
        });
        (line, col) = (r.start.line, r.start.character);
    }
    SemanticTokens {
        result_id: None,
        data,
    }
}

pub fn full(snap: &Snapshot, params: SemanticTokensParams) -> Option<SemanticTokensResult> {
    let file = snap.file_id(&params.text_document.uri)?;
    Some(SemanticTokensResult::Tokens(encode(snap, file, None)))
}

pub fn range(
    snap: &Snapshot,
    params: SemanticTokensRangeParams,
) -> Option<SemanticTokensRangeResult> {
    let file = snap.file_id(&params.text_document.uri)?;
    let span = span_of(snap, file, params.range);
    Some(SemanticTokensRangeResult::Tokens(encode(
        snap,
        file,
        Some(span),
    )))
}

/// The byte span of an LSP range.
pub fn span_of(snap: &Snapshot, file: FileId, r: Range) -> Span {
    let map = snap.line_map(file);
    let (a, b) = (map.offset(r.start), map.offset(r.end));
    Span::new(a.min(b), a.max(b))
}
