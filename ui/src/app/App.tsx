import { Route, Routes } from "react-router";
import { ArtifactPage } from "../pages/artifact/ArtifactPage";
import { BrowsePage } from "../pages/browse/BrowsePage";
import { HomePage } from "../pages/HomePage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { RegisterPage } from "../pages/register/RegisterPage";
import { SignInPage } from "../pages/SignInPage";
import { AnnouncerProvider } from "./announcer";
import { Layout } from "./Layout";
import { RequireAuth } from "./RequireAuth";
import { SessionProvider } from "./session";

/** Every client route. A page that needs a permission is wrapped in <RequireAuth>. */
export function App() {
  return (
    <AnnouncerProvider>
      <SessionProvider>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<HomePage />} />
            <Route path="signin" element={<SignInPage />} />
            <Route
              path="artifacts"
              element={
                <RequireAuth requires="search">
                  <BrowsePage />
                </RequireAuth>
              }
            />
            <Route
              path="artifacts/:type/:id"
              element={
                <RequireAuth requires="search">
                  <ArtifactPage />
                </RequireAuth>
              }
            />
            <Route
              path="register"
              element={
                <RequireAuth requires="upload">
                  <RegisterPage />
                </RequireAuth>
              }
            />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </SessionProvider>
    </AnnouncerProvider>
  );
}
