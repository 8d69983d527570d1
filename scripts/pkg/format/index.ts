// The flat-package toolkit's front door: writers and readers for Apple flat packages (.pkg) with no macOS tool.
// Build: buildComponent (component.ts) then buildProductArchive (product.ts) or writeComponentPackage.
// Read and check: readPackage (read.ts), checkPackage (check.ts). Lower layers (xar, bom, cpio, gzip, XML
// documents) are exported for tests and tools that need them.
export { buildComponent, componentXarEntries, installKBytesOf, writeComponentPackage } from './component.js';
export type { Component, ComponentInput, PayloadEntry, ScriptEntry } from './component.js';
export { buildProductArchive, productDistribution } from './product.js';
export type { ProductComponent, ProductInput } from './product.js';
export { readArchiveEntries, readPackage } from './read.js';
export type { PayloadFormat, ReadArchiveEntry, ReadComponent, ReadPackage } from './read.js';
export { checkPackage } from './check.js';
export { bomFullMode, posixCksum, readBom, writeBom } from './bom.js';
export type { BomEntry, BomKind } from './bom.js';
export { readCpio, writeCpio } from './cpio.js';
export type { CpioEntry, CpioRecord } from './cpio.js';
export { gunzip, gzip } from './gzip.js';
export { readXar, writeXar } from './xar.js';
export type { XarArchive, XarEncoding, XarInput, XarTocEntry } from './xar.js';
export { parsePackageInfo, writePackageInfo } from './package-info.js';
export type { PackageInfo } from './package-info.js';
export { parseDistribution, writeDistribution } from './distribution.js';
export type { DistributionInput, ParsedDistribution } from './distribution.js';
