/** A run of text in a document, with the headings above it (outermost first). */
export interface Block {
  kind: 'heading' | 'paragraph';
  /** For headings: 1 (top) … 6. */
  level?: number;
  text: string;
  /** PDF page (1-based), when the format has pages. */
  page?: number;
}

/** A document's text as structure: its title and blocks in reading order. */
export interface ExtractedDocument {
  title: string;
  blocks: Block[];
}

/** A piece of a document sized for embedding; `position` and `headingPath` locate it for citations. */
export interface Chunk {
  position: number;
  headingPath: string[];
  text: string;
  tokenCount: number;
  page?: number;
}

/** Raised for a source document that cannot be read (corrupt PDF, unsupported type): it is skipped. */
export class DocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentError';
  }
}
