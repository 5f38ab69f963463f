// Cuts the microphone into 20 ms frames at 48 kHz mono (960 samples) for the console's shout.
"use strict";
class MicFrames extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Float32Array(960);
    this.filled = 0;
  }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let i = 0; i < input.length; i++) {
      this.frame[this.filled++] = input[i];
      if (this.filled === this.frame.length) {
        let sum = 0;
        for (let j = 0; j < this.frame.length; j++) sum += this.frame[j] * this.frame[j];
        // `end`: the context time of the frame's last sample.
        const end = currentTime + (i + 1) / sampleRate;
        this.port.postMessage({ samples: this.frame, rms: sum / this.frame.length, end }, [this.frame.buffer]);
        this.frame = new Float32Array(960);
        this.filled = 0;
      }
    }
    return true;
  }
}
registerProcessor("mic-frames", MicFrames);
