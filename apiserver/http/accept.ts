/** The Accept header as its media ranges, in order: each type with its parameters (`as`, `g`, `v`). */
export function mediaRanges(accept: string | undefined): { type: string; params: Record<string, string> }[] {
  return (accept ?? '').split(',').map((clause) => {
    const [type = '', ...params] = clause.split(';').map((p) => p.trim());
    return { type, params: Object.fromEntries(params.map((kv) => kv.split('=').map((x) => x.trim()) as [string, string])) };
  });
}
