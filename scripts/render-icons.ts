/**
 * Renders public/icons/icon.svg to the PNG sizes the manifest lists, with Debian's Chromium. Run it
 * after changing the SVG: `npx tsx scripts/render-icons.ts` (the PNGs are committed).
 */
import { readFileSync } from 'node:fs';
import { launchBrowser } from '../e2e/browser.ts';

const svg = readFileSync('public/icons/icon.svg', 'utf8');
const browser = await launchBrowser();
for (const size of [192, 512]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<style>html,body{margin:0;background:transparent}svg{width:${size}px;height:${size}px;display:block}</style>${svg}`);
  await page.screenshot({ path: `public/icons/icon-${size}.png`, omitBackground: true });
  await page.close();
}
await browser.close();
