/**
 * The globals of the dashboards page (page.js) beyond the DOM's: uPlot,
 * which page.html loads from its own <script> (uPlot.iife.min.js) before
 * page.js. For tsconfig.browser.json only; the Node projects leave it out.
 */
export {};

declare global {
  const uPlot: typeof import('uplot');
  type uPlot = import('uplot');
  namespace uPlot {
    type Options = import('uplot').Options;
    type Series = import('uplot').Series;
  }
}
