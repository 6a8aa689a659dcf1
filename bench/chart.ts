/** A small SVG bar chart of the medians: one panel per scenario and store, one bar per server. */

export interface ChartBar {
  label: string;
  value: number;
  kind: 'ours' | 'peer' | 'ceiling';
}

export interface ChartGroup {
  title: string;
  bars: ChartBar[];
}

const COLORS = { ours: '#1f77b4', peer: '#999999', ceiling: '#d9d9d9' } as const;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderChart(title: string, subtitle: string, groups: ChartGroup[]): string {
  const width = 860;
  const labelWidth = 250;
  const barArea = width - labelWidth - 90;
  const barHeight = 16;
  const gap = 4;
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const parts: string[] = [];
  let y = 56;
  for (const group of groups) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escape(group.title)}</text>`);
    y += 8;
    for (const bar of group.bars) {
      const w = Math.max(1, Math.round((bar.value / max) * barArea));
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 4}" text-anchor="end">${escape(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w}" height="${barHeight}" fill="${COLORS[bar.kind]}"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + barHeight - 4}">${Math.round(bar.value).toLocaleString('en-US')}</text>`,
      );
      y += barHeight + gap;
    }
    y += 22;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="38" fill="#555555">${escape(subtitle)}</text>`,
    ...parts,
    `</svg>`,
    '',
  ].join('\n');
}
