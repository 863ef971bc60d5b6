// The UI: mounted by main.tsx once it has started the query engine.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { connectHost } from './host';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App host={connectHost()} />
    </StrictMode>,
  );
}
