/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The gateway serves the build at /ui/ (same origin as the API, so no CORS).
// `npm run dev` proxies API calls to a registry started with `make run`.
const API_ROUTES = ["/authenticate", "/artifacts", "/artifact", "/users", "/reset", "/health", "/tracks"];

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir: "dist",
    sourcemap: true,
    // Hashed asset names: the gateway serves /ui/assets/* as immutable.
    assetsDir: "assets",
  },
  server: {
    proxy: Object.fromEntries(
      API_ROUTES.map((route) => [route, { target: process.env.REGISTRY_URL ?? "http://127.0.0.1:8000" }]),
    ),
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
