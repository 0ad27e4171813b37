// Markdown for chat replies: GitHub-flavoured (tables, lists, strikethrough),
// code blocks highlighted and given a copy button. Raw HTML in the text is
// not rendered (react-markdown escapes it), so a reply cannot inject markup.
import type { Element } from 'hast';
import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { hastText, rehypeHighlightSome } from '../chat/highlight';
import { CopyButton } from './CopyButton';

function codeLanguage(node: Element | undefined): string | null {
  const code = node?.children.find((c): c is Element => c.type === 'element' && c.tagName === 'code');
  const cls = code?.properties?.className;
  const list = Array.isArray(cls) ? cls.map(String) : [];
  const lang = list.find((c) => c.startsWith('language-'));
  return lang ? lang.slice(9) : null;
}

const components: Components = {
  pre({ node, children, ...rest }) {
    const text = node ? hastText(node).replace(/\n$/, '') : '';
    const lang = codeLanguage(node);
    return (
      <div className="codeblock">
        <div className="codeblock-bar">
          <span className="muted small">{lang ?? 'text'}</span>
          <CopyButton text={text} label={`Copy ${lang ?? ''} code`.replace('  ', ' ')} />
        </div>
        <pre {...rest}>{children}</pre>
      </div>
    );
  },
  a({ node: _node, ...rest }) {
    return <a {...rest} target="_blank" rel="noreferrer noopener" />;
  },
};

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeHighlightSome]} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
