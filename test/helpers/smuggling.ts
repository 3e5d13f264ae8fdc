/** The fake end-of-data sequences of SMTP smuggling (2023): none of them may end a message. */
export const FAKE_TERMINATORS = [
  '\n.\n',
  '\n.\r\n',
  '\r\n.\n',
  '\r.\r',
  '\r.\r\n',
  '\r\n.\r',
  '\n.\r',
  '\r.\n',
  '\r\n.\r\r\n',
  '\r\n\0.\r\n',
] as const;

/** A whole second transaction, as a smuggler puts after a fake terminator in the same write. */
export const SMUGGLED_TRANSACTION =
  'MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSubject: forged\r\n\r\nforged\r\n.\r\n';
