declare module 'aedes-persistence-level' {
  /**
   * The persistence Aedes 1.x takes as its `persistence` option, over an abstract-level
   * database (a `level` instance or a sublevel of one).
   */
  function aedesPersistenceLevel(db: object): object;
  export default aedesPersistenceLevel;
}
