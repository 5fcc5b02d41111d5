/** Escapes text for Telegram's HTML parse mode: `&` first, then `<` and `>`; `"` too, for attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Cuts a text to at most `max` code points, on a word boundary when one is near, with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd() + '…';
}

/** One line: newlines and runs of whitespace collapse to a single space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
