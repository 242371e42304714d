"""A file picker that speaks the page's language.

``st.file_uploader`` draws its own English texts ("Drag and drop file here", "Limit 20MB per
file", "Browse files") and offers no way to translate them. This picker is the browser's own file
input behind a button and texts from our catalogs: it reads the chosen file in the browser and
hands its bytes to the script as the component's state (one script run per file chosen).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import streamlit as st

_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let box = parentElement.querySelector(".pw-file");
  if (!box) {
    box = document.createElement("div");
    box.className = "pw-file";
    const id = "pw-file-" + Math.random().toString(36).slice(2);
    box.innerHTML =
      '<label class="pw-file-label"></label>' +
      '<div class="pw-file-row"><button type="button" class="pw-file-button"></button>' +
      '<span class="pw-file-name" aria-live="polite"></span></div>' +
      '<p class="pw-file-hint"></p><p class="pw-file-error" role="alert"></p>' +
      '<input type="file" class="pw-file-input" tabindex="-1">';
    box.querySelector("label").htmlFor = id;
    box.querySelector("input").id = id;
    parentElement.appendChild(box);
  }
  const input = box.querySelector("input");
  const name = box.querySelector(".pw-file-name");
  const error = box.querySelector(".pw-file-error");
  box.querySelector("label").textContent = data.label;
  box.querySelector(".pw-file-button").textContent = data.texts.choose;
  box.querySelector(".pw-file-hint").textContent = data.texts.hint;
  input.accept = data.accept;
  if (!box.dataset.picked) name.textContent = data.texts.none;
  box.querySelector(".pw-file-button").onclick = () => input.click();
  input.onchange = () => {
    const file = input.files && input.files[0];
    error.textContent = "";
    if (!file) return;
    box.dataset.picked = "1";
    name.textContent = file.name;
    if (file.size > data.maxBytes) {
      error.textContent = data.texts.tooBig;
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      const bytes = new Uint8Array(reader.result);
      let text = "";
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      setStateValue("file", { name: file.name, data: btoa(text) });
    };
    reader.onerror = () => { error.textContent = data.texts.unreadable; };
    reader.readAsArrayBuffer(file);
  };
}
"""
# The native input stays in the page (keyboard users and screen readers reach it through its
# label and the button) but is not drawn: the button shows the translated text instead.
_CSS = """
.pw-file { font-family: inherit; }
.pw-file-label { display: block; font-size: 0.875rem; margin-bottom: 0.25rem; }
.pw-file-row { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
.pw-file-button {
  min-height: 44px; padding: 0.4rem 0.9rem; border-radius: 0.5rem; border: 1px solid #b0b0b0;
  background: #fff; color: #1c1c1c; font: inherit; cursor: pointer;
}
.pw-file-button:hover { border-color: #B3122E; color: #B3122E; }
.pw-file-button:focus-visible { outline: 3px solid #1c1c1c; outline-offset: 2px; }
.pw-file-name { overflow-wrap: anywhere; }
.pw-file-hint { color: #595959; font-size: 0.875rem; margin: 0.35rem 0 0; }
.pw-file-error { color: #8a1010; margin: 0.35rem 0 0; }
.pw-file-error:empty { margin: 0; }
.pw-file-input { position: absolute; width: 1px; height: 1px; opacity: 0; pointer-events: none; }
"""
_component = st.components.v2.component("planungswerkstatt.file", js=_JS, css=_CSS)


@dataclass(frozen=True)
class PickedFile:
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def file_picker(label: str, *, key: str, accept: list[str], max_bytes: int, texts: dict) -> PickedFile | None:
    """The file chosen in this picker (None until one is), at most ``max_bytes``: a larger one is
    refused in the browser, and again here. ``texts``: choose, none, hint, tooBig, unreadable."""
    result = _component(
        key=key,
        data={
            "label": label,
            "accept": ",".join(f".{ext}" for ext in accept),
            "maxBytes": max_bytes,
            "texts": texts,
        },
        default={"file": None},
        on_file_change=lambda: None,
    )
    picked = result.file if result is not None else None
    if not isinstance(picked, dict) or not isinstance(picked.get("name"), str):
        return None
    try:
        data = base64.b64decode(str(picked.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(data) > max_bytes:
        return None
    return PickedFile(picked["name"][:255], data)
