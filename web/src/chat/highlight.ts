// Syntax highlighting for Markdown code blocks: a rehype plugin that runs
// lowlight (highlight.js grammars) on `pre > code.language-*` elements, with
// a fixed set of common languages so the bundle stays small. Blocks without a
// language, or with one not listed here, stay plain text.
import type { Element, ElementContent, Root, RootContent } from 'hast';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { createLowlight } from 'lowlight';

const lowlight = createLowlight({ bash, c, cpp, css, diff, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml });
lowlight.registerAlias({ bash: ['sh', 'shell', 'zsh'], javascript: ['js', 'jsx'], typescript: ['ts', 'tsx'], python: ['py'], xml: ['html'], cpp: ['c++', 'cc', 'hpp'], yaml: ['yml'], rust: ['rs'] });

// The text of a hast node (all its text descendants).
export function hastText(node: Root | RootContent | ElementContent): string {
  if (node.type === 'text') return node.value;
  if ('children' in node) return (node.children as ElementContent[]).map(hastText).join('');
  return '';
}

function languageOf(code: Element): string | null {
  const cls: unknown = code.properties?.className;
  const list: unknown[] = Array.isArray(cls) ? cls : typeof cls === 'string' ? cls.split(' ') : [];
  for (const c of list) {
    const s = String(c);
    if (s.startsWith('language-')) return s.slice(9).toLowerCase();
  }
  return null;
}

function visit(node: Root | Element, parent: Root | Element | null): void {
  if (node.type === 'element' && node.tagName === 'code' && parent?.type === 'element' && parent.tagName === 'pre') {
    const lang = languageOf(node);
    if (lang && lowlight.registered(lang)) {
      try {
        const tree = lowlight.highlight(lang, hastText(node));
        node.children = tree.children as ElementContent[];
        const cls = Array.isArray(node.properties.className) ? node.properties.className : [];
        node.properties.className = [...cls, 'hljs'];
      } catch {
        /* leave the block as plain text */
      }
    }
    return;
  }
  for (const child of node.children) {
    if (child.type === 'element') visit(child, node);
  }
}

export function rehypeHighlightSome() {
  return (tree: Root) => visit(tree, null);
}

export function highlightSupported(lang: string): boolean {
  return lowlight.registered(lang.toLowerCase());
}
