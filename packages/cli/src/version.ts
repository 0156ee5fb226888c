/** Printed by `pod --version`; a test keeps it equal to package.json's version. */
export const CLI_VERSION = '0.1.0';
