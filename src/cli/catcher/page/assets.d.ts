// The page's files are imported as text by the command's build (tsup.config.ts) and by the tests
// (vitest.config.ts).
declare module '*.html' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*.page.js' {
  const text: string;
  export default text;
}
