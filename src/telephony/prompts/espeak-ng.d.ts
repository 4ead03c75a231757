/** The `espeak-ng` package: eSpeak NG's command line compiled by Emscripten; each call runs it once with `arguments`. */
declare module 'espeak-ng' {
  interface ESpeakRun {
    FS: { readFile(path: string): Uint8Array };
  }
  export default function ESpeakNG(module: { arguments: string[]; print?: (line: string) => void; printErr?: (line: string) => void }): Promise<ESpeakRun>;
}
