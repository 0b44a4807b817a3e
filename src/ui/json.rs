//! JSON through the browser's own `JSON` object and serde-wasm-bindgen, so the
//! Wasm carries no JSON parser or printer of its own.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Serialises to JSON text; `pretty` indents by two spaces for people.
pub fn to_string<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Result<String, String> {
    let js = to_value(value)?;
    let text = if pretty {
        js_sys::JSON::stringify_with_replacer_and_space(&js, &JsValue::NULL, &JsValue::from(2))
    } else {
        js_sys::JSON::stringify(&js)
    };
    text.map(String::from).map_err(describe)
}

/// The plain JS object `JSON.parse` would give for the value's JSON.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, String> {
    // json_compatible: maps become plain objects, not JS `Map`s, which
    // `JSON.stringify` would print as `{}`.
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&ser).map_err(|e| e.to_string())
}

/// Parses JSON text into `T`; the error names what did not fit.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let js = js_sys::JSON::parse(text).map_err(describe)?;
    serde_wasm_bindgen::from_value(js).map_err(|e| e.to_string())
}

/// A JS exception in words.
pub fn describe(e: JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| "unknown error".to_string())
}

use wasm_bindgen::JsCast;
