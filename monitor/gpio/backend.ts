/** One line as the monitor asks for it: its config name, BCM number and polarity. */
export interface LineSpec {
  /** `output "red"`, `input "ack"`: how messages name the line. */
  label: string;
  name: string;
  line: number;
  /** Logical on (or pressed) is the low level. */
  activeLow: boolean;
}

/** An input line: presses count once held for `debounceMs`. */
export interface InputSpec extends LineSpec {
  debounceMs: number;
}

export interface OutputLine {
  /** Switches the output on or off; the backend turns that into a level by `activeLow`. */
  write(on: boolean): void;
}

/**
 * What the monitor needs from GPIO, kept small so that a character-device (libgpiod) backend
 * can be added beside the sysfs one. Opening may throw a MonitorError naming the line.
 */
export interface GpioBackend {
  readonly kind: 'onoff' | 'simulated';
  /** Claims a line as an output, switched off. */
  openOutput(spec: LineSpec): OutputLine;
  /** Claims a line as an input; `onLevel` gets every change, true while pressed. */
  openInput(spec: InputSpec, onLevel: (pressed: boolean) => void): void;
  /** Every output off, then every line released. Safe to call more than once. */
  close(): void;
}
