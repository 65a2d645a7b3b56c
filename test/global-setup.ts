// Global setup: nothing shared yet; integration suites start their own redis-server.
export default function setup(): void {}
