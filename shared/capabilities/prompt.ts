/**
 * Renders a capability's prompt template: `{{input.a.b}}` is replaced by that input value (objects as JSON),
 * `{{input_json}}` by the whole input as JSON. A missing path renders as an empty string.
 */
export function renderPrompt(template: string, input: unknown): string {
  return template.replace(/\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g, (_m, path: string) => {
    if (path === 'input_json') return JSON.stringify(input);
    if (!path.startsWith('input.')) return '';
    const value = path
      .slice('input.'.length)
      .split('.')
      .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), input);
    if (value === undefined || value === null) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}
