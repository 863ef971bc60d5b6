// Text panels load `marked` when the first one is drawn, not with the UI: building its grammar's
// regular expressions took ~43 ms of the UI bundle's evaluation, in the one task that opens the
// window. (`preloadMarkdown` starts the load when a dashboard with text panels opens.)
import type { MarkdownProps } from './markdown';
import { lazyModule, useLazyModule } from '../lazy-module';

const markdownModule = lazyModule(() => import('./markdown'));

/** Load the Markdown renderer (once). */
export const preloadMarkdown = () => markdownModule.preload();

/** `markdown.tsx`'s Markdown, loaded on first use (an empty block until then). */
export function Markdown(props: MarkdownProps) {
  const { module, failed } = useLazyModule(markdownModule);
  // Without the renderer the words still show, as the plain text they were written as.
  if (failed) return <div className="markdown markdown-plain" title={`Formatting could not be loaded (${failed})`}>{props.source}</div>;
  if (!module) return <div className="markdown" aria-busy="true" />;
  const Loaded = module.Markdown;
  return <Loaded {...props} />;
}
